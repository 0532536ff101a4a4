/* The seL4 5.0.0 kernel configuration of CellulOS (x86_64, pc99, debug), written by hand
 * because the 5.0 Kbuild tree has no working Kconfig step here. `cargo xtask kernel` copies
 * it over include/plat/pc99/autoconf.h, the path that wins over the build directory's.
 * Each line says why it is there. */
#ifndef AUTOCONF_INCLUDED
#define AUTOCONF_INCLUDED
/* The 5.0 master kernel (not the verified subset). */
#define CONFIG_KERNEL_MASTER 1
/* x86_64 on a PC: what QEMU emulates. */
#define CONFIG_ARCH_X86 1
#define CONFIG_ARCH_X86_64 1
#define CONFIG_PLAT_PC99 1
#define CONFIG_WORD_SIZE 64
/* User code may use SSE (Rust emits it); the kernel saves FPU state lazily. */
#define CONFIG_HAVE_FPU 1
/* Interrupts through the IOAPIC and the legacy xAPIC: all QEMU's TCG needs. */
#define CONFIG_IRQ_IOAPIC 1
#define CONFIG_MAX_NUM_IOAPIC 1
#define CONFIG_XAPIC 1
/* No IOMMU, no VT-x (VMs come later, under Bochs, with their own config). */
/* 1 GiB pages for the kernel window (QEMU's CPU is started with +pdpe1gb). */
#define CONFIG_HUGE_PAGE 1
/* `syscall`/`sysret` for system calls (the fast path assumes it). */
#define CONFIG_SYSCALL 1
/* FPU state with fxsave: 512 bytes; no xsave (QEMU's CPU is started with -xsave). */
#define CONFIG_FXSAVE 1
#define CONFIG_XSAVE_SIZE 512
/* fs/gs bases through MSRs (QEMU's CPU is started with -fsgsbase). */
#define CONFIG_FSGSBASE_MSR 1
/* No graphics mode from the boot loader: the console is the serial port. */
#define CONFIG_MULTIBOOT_GRAPHICS_MODE_NONE 1
/* Root CNode of 2^16 slots: boot spends one slot per 4 KiB page of the root task image,
 * and the root task embeds every component image (4,096 slots ran out in the bring-up). */
#define CONFIG_ROOT_CNODE_SIZE_BITS 16
/* Scheduling: Kconfig defaults. */
#define CONFIG_TIMER_TICK_MS 2
#define CONFIG_TIME_SLICE 5
#define CONFIG_RETYPE_FAN_OUT_LIMIT 256
#define CONFIG_MAX_NUM_WORK_UNITS_PER_PREEMPTION 100
#define CONFIG_MAX_NUM_BOOTINFO_UNTYPED_CAPS 167
/* The IPC fast path: what DESIGN.md section 4 builds the stubs around. */
#define CONFIG_FASTPATH 1
#define CONFIG_NUM_DOMAINS 1
#define CONFIG_NUM_PRIORITIES 256
/* Single core: composition rejects any CPU but 0 (and invocation labels depend on this). */
#define CONFIG_MAX_NUM_NODES 1
#define CONFIG_CACHE_LN_SZ 64
#define CONFIG_KERNEL_STACK_BITS 12
#define CONFIG_FPU_MAX_RESTORES_SINCE_SWITCH 64
/* A debug build: seL4_DebugPutChar exists only here, and faults are printed. */
#define CONFIG_DEBUG_BUILD 1
/* The 5.0 Makefile's own CONFIG_PRINTING line has a typo: printing must come from here. */
#define CONFIG_PRINTING 1
#define CONFIG_IRQ_REPORTING 1
#define CONFIG_COLOUR_PRINTING 1
/* DEBUG=1 passes -DCONFIG_USER_STACK_TRACE_LENGTH=1 on the command line: do not redefine it. */
#ifndef CONFIG_USER_STACK_TRACE_LENGTH
#define CONFIG_USER_STACK_TRACE_LENGTH 16
#endif
#define CONFIG_OPTIMISATION_O2 1
#define CONFIG_NO_BENCHMARKS 1
#define CONFIG_KERNEL_CFLAGS ""
#define CONFIG_KERNEL_COMPILER ""
#define CONFIG_KERNEL_EXTRA_CPPFLAGS ""
#define CONFIG_DOMAIN_SCHEDULE ""
#endif
