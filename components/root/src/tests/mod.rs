//! The in-system test suite, in sel4test's shape: `Starting test N: ID`, a result line per
//! test, then `N passed, M failed`; `cargo xtask test` turns the console into JUnit XML.
//! `CELLULOS_TEST_FILTER` at build time keeps only the tests whose id contains it.

mod ipc;
mod memory;
mod system;
mod threads;

use alloc::string::String;

use sel4_rt::println;

use crate::kernel::Kernel;
use crate::thread::Supervisor;
use crate::vspace::VSpace;

/// What a test gets: the kernel objects, the root's address space, the thread supervisor.
pub struct Ctx {
    /// Kernel-object management.
    pub k: Kernel,
    /// The root task's address space.
    pub vspace: VSpace,
    /// Where test threads fault and exit.
    pub sup: Supervisor,
}

/// A test: `Err` says what went wrong.
pub type Test = fn(&mut Ctx) -> Result<(), String>;

const TESTS: &[(&str, Test)] = &[
    ("UNTYPED0001", memory::untyped_objects),
    ("CSPACE0001", memory::slots),
    ("VSPACE0001", memory::map_and_touch),
    ("VSPACE0002", memory::frames_start_zeroed),
    ("ALLOC0001", memory::allocator_coalesces),
    ("THREAD0001", threads::second_thread),
    ("IPC0001", ipc::endpoint_round_trip),
    ("IPC0002", ipc::notification_badges),
    ("IPC0003", ipc::cap_transfer),
    ("FAULT0001", threads::fault_is_reported_and_survived),
    ("RECLAIM0001", threads::thousand_thread_cycles),
    ("SYSTEM0001", system::components_talk_through_generated_stubs),
    ("MODEL0001", system::the_extracted_model_is_what_the_system_holds),
    ("CLEANUP0001", system::cleanup_direct_space),
    ("CLEANUP0002", system::cleanup_recursive_space),
    ("CLEANUP0003", system::cleanup_direct_pd),
    ("CLEANUP0004", system::cleanup_recursive_pd),
    ("MEMORY0001", system::the_root_serves_memory),
    ("PD0001", system::the_root_makes_threads_and_processes),
    ("CPU0001", system::the_root_serves_cpus),
    ("RESSPACE0001", system::the_root_registers_spaces),
    ("GIVE0001", system::a_resource_is_given_to_another_pd),
    ("EXTRACT0001", system::a_server_faulting_during_an_extraction_does_not_hang_the_root),
    ("EXTRACT0002", system::a_server_waiting_on_a_faulting_one_does_not_hang_the_root),
    ("EXTRACT0003", system::a_server_calling_the_root_while_the_root_calls_it_is_served),
    ("EXTRACT0004", system::gives_nested_three_deep_are_served),
    ("CLEANUP0005", system::cleanup_follows_a_space_mapped_onto_another_pds),
    ("CLEANUP0006", system::cleanup_asks_a_live_server_to_delete_its_space),
    ("PROCESS0001", system::bad_images_are_refused),
];

/// An error as a test's failure message.
pub fn err(e: impl core::fmt::Display) -> String {
    alloc::format!("{e}")
}

/// `Err(message)` unless `cond`.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($msg:tt)*) => {
        if !$cond {
            return Err(alloc::format!($($msg)*));
        }
    };
}

/// Runs the suite and ends QEMU with its verdict.
pub fn run(mut k: Kernel) -> ! {
    let sup = match Supervisor::new(&mut k) {
        Ok(s) => s,
        Err(e) => {
            println!("cellulos tests: cannot create the supervisor endpoint: {e}");
            crate::exit::exit(crate::exit::FAILURE)
        }
    };
    let mut ctx = Ctx { k, vspace: VSpace::new(sel4::init::VSPACE), sup };
    let filter = option_env!("CELLULOS_TEST_FILTER").unwrap_or("");
    let (mut passed, mut failed) = (0, 0);
    for (n, (id, test)) in TESTS.iter().filter(|(id, _)| id.contains(filter)).enumerate() {
        println!("Starting test {}: {}", n + 1, id);
        match test(&mut ctx) {
            Ok(()) => {
                passed += 1;
                println!("Test {id} passed");
            }
            Err(e) => {
                failed += 1;
                println!("Test {id} failed: {e}");
            }
        }
    }
    if let Err(e) = ctx.sup.destroy(&mut ctx.k) {
        println!("cellulos tests: destroying the supervisor: {e}");
        failed += 1;
    }
    println!("{passed} passed, {failed} failed");
    if failed == 0 && passed > 0 {
        println!("All is well in the universe");
        crate::exit::exit(crate::exit::SUCCESS)
    }
    crate::exit::exit(crate::exit::FAILURE)
}
