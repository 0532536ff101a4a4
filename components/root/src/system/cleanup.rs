//! When a PD ends (docs/architecture.md, "Cleanup"): the callers waiting on it are
//! released with `ServerGone` and its connections revoked and replaced by caps to the root
//! (so later calls fail the same way instead of hanging); the servers a client used release
//! what it held; the model library plans the cleanup under the composition's policy on the
//! model as it was, the root terminates what the plan says, and checks that the model
//! afterwards is the one the plan predicted.

use alloc::string::String;
use alloc::vec::Vec;

use cellulos_runtime::Status;
use osmosis::query::{plan_cleanup, CleanupPlan, Failure, Policy};
use osmosis::{EdgeKind, Model, NodeKind};
use sel4::{init, Word};
use sel4_rt::println;

use super::supervise::GONE_BADGE;
use super::Running;
use crate::kernel::{Kernel, KernelError};
use crate::thread::{Ended, Supervisor};
use crate::vspace::VSpace;

/// Who ended how, and whether it was a server.
type Ends = Vec<(String, Ended, bool)>;

impl Running {
    /// The slots of instance `c`'s connections to instance `s`.
    fn slots_to(&self, c: usize, s: usize) -> Vec<Word> {
        self.uses_to(c, s).map(|u| Word::from(u.slot)).collect()
    }

    /// Server `s` is going: every live process waiting in a call to it gets `ServerGone`;
    /// every cap to its endpoint is revoked, and its clients' are replaced by caps to the
    /// supervisor endpoint badged [`GONE_BADGE`], through which every call gets `ServerGone`
    /// from the supervisor thread (never from the main thread, which may be calling the
    /// very client that calls the gone server: each would wait for the other).
    fn cut_off(&mut self, k: &mut Kernel, s: usize) -> Result<(), KernelError> {
        for c in 0..self.processes.len() {
            let slots = self.slots_to(c, s);
            let Some(p) = self.processes[c].1.as_ref().filter(|_| !slots.is_empty()) else { continue };
            if p.release_call(k, &slots, Status::ServerGone as Word)? {
                println!(
                    "cellulos root: {} was waiting on {}: released with an error",
                    self.processes[c].0, self.processes[s].0
                );
            }
        }
        if let Some((cap, _)) = self.root_conns.get_mut(s).and_then(Option::take) {
            k.delete_cap(cap.bits())?;
        }
        if let Some(ep) = self.endpoints.get(s).and_then(Option::as_ref) {
            k.ipc.cnode_revoke(init::CNODE, ep.cap.bits(), 64).map_err(|e| KernelError::Sel4("cnode_revoke", e))?;
        }
        for c in 0..self.processes.len() {
            let Some(p) = self.processes[c].1.as_ref() else { continue };
            for slot in self.slots_to(c, s) {
                p.install(k, slot, self.sup_ep, GONE_BADGE)?;
            }
        }
        Ok(())
    }

    /// Client `c` is gone: each live server it used ends every hold of its connection.
    fn release_holds(&mut self, k: &mut Kernel, vs: &mut VSpace, sup: &mut Supervisor, c: usize) {
        let uses: Vec<(usize, u32)> = self
            .system
            .instances
            .get(c)
            .map_or(Vec::new(), |i| i.uses.iter().map(|u| (u.server as usize, u.badge)).collect());
        for (server, badge) in uses {
            if let Err(e) = self.release_holder(k, vs, sup, server, badge) {
                println!("cellulos root: {e}");
            }
        }
    }

    /// Deletes instance `i`'s process and its part of the model; records how it ended.
    fn remove(
        &mut self,
        k: &mut Kernel,
        vs: &mut VSpace,
        sup: &mut Supervisor,
        i: usize,
        how: Ended,
        ends: &mut Ends,
    ) -> Result<(), KernelError> {
        // A server not cut off yet (terminated by a plan): its root connection says so.
        if self.processes[i].2 && self.root_conns.get(i).is_some_and(Option::is_some) {
            self.cut_off(k, i)?;
        }
        // What it got from the root goes while its address space still exists.
        self.release_root_holds(k, vs, i)?;
        let entry = &mut self.processes[i];
        match how {
            Ended::Exited(0) if !entry.2 => println!("cellulos root: {} exited", entry.0),
            Ended::Exited(code) => println!("cellulos root: {} exited with code {code:#x}", entry.0),
            Ended::Faulted(f) => println!("cellulos root: {} faulted: {f}", entry.0),
            Ended::Terminated => println!("cellulos root: {} terminated", entry.0),
        }
        ends.push((entry.0.clone(), how, entry.2));
        if let Some(p) = entry.1.take() {
            // Its TCB's slot may soon hold another object: the supervisor thread forgets it.
            super::events::forget_calls(p.tcb_slot());
            p.delete(k)?;
        }
        self.release_holds(k, vs, sup, i);
        if let Err(e) = self.keeper.remove_pd(self.pds[i]) {
            println!("cellulos root: model: {e}");
        }
        Ok(())
    }

    /// Instance `i` ended `how`: cut it off, plan under the policy on the model as it was,
    /// remove it, terminate what the plan says, and check the result against the plan.
    pub(super) fn end(
        &mut self,
        k: &mut Kernel,
        vs: &mut VSpace,
        sup: &mut Supervisor,
        i: usize,
        how: Ended,
        ends: &mut Ends,
    ) -> Result<(), KernelError> {
        if self.processes[i].2 {
            self.cut_off(k, i)?;
        }
        let planned = self.plan(k, vs, sup, i);
        self.remove(k, vs, sup, i, how, ends)?;
        let (model, plan) = match planned {
            Ok(planned) => planned,
            Err(e) => {
                println!("cellulos root: no cleanup plan: {e}");
                self.failures += 1;
                return Ok(());
            }
        };
        for step in plan.terminate.iter().filter(|s| s.depth > 0) {
            let why: Vec<String> = step.chain.iter().map(|c| c.describe(&model)).collect();
            println!("cellulos root: cleanup: terminate {} ({})", model.node(step.pd).id, why.join(", "));
        }
        for step in &plan.delete {
            println!("cellulos root: cleanup: delete {}", model.node(step.space).id);
        }
        let doomed: Vec<usize> = plan
            .terminate
            .iter()
            .filter_map(|step| self.instance_of(&model.node(step.pd).id))
            .filter(|j| *j != i && self.processes[*j].1.is_some())
            .collect();
        for j in doomed {
            self.remove(k, vs, sup, j, Ended::Terminated, ends)?;
        }
        // The spaces the plan deletes whose server lives on: the root's (registered with its
        // resource-space server) and component servers' (asked to); the others went with
        // their servers.
        for step in &plan.delete {
            let id = &model.node(step.space).id;
            if self.space_state.delete_by_id(&mut self.keeper, id) {
                println!("cellulos root: cleanup: deleted {id}, registered by a PD that lives on");
            } else if self.delete_served_space(k, vs, sup, id) {
                println!("cellulos root: cleanup: deleted {id}, served by a PD that lives on");
            }
        }
        if let Err(e) = self.settle_tables(k) {
            println!("cellulos root: cleanup: ending handles to what it deleted: {e}");
            self.failures += 1;
        }
        self.verify(k, vs, sup, model, &plan);
        Ok(())
    }

    /// Asks the live component server whose exported space `id` names to delete it
    /// (`DELETE_SPACE`: the space, its resources and their handles end): whether it did.
    fn delete_served_space(&mut self, k: &mut Kernel, vs: &mut VSpace, sup: &mut Supervisor, id: &str) -> bool {
        use cellulos_runtime::limits::DELETE_SPACE;
        let Some((server, object)) = cellulos_runtime::server::Book::exported_space(id) else { return false };
        // The export names a server's objects by its PD number.
        let Some(s) = server.parse().ok().and_then(|n| self.instance_of_pd(n)) else { return false };
        let mut msg = cellulos_runtime::Message::new(DELETE_SPACE);
        if msg.encode(&object.0, &mut []).is_err() {
            return false;
        }
        let info = sel4::MessageInfo::new(sel4::Word::from(DELETE_SPACE), 0, 0, msg.len as sel4::Word);
        let (reply, _) = self.call_server(k, vs, sup, s, info, &msg.words[..msg.len], 0);
        reply.label() == 0
    }

    /// The instance behind a PD node id (`PD_<n>`).
    fn instance_of(&self, id: &str) -> Option<usize> {
        self.instance_of_pd(id.strip_prefix("PD_")?.parse().ok()?)
    }

    /// The instance whose PD is number `n`.
    fn instance_of_pd(&self, n: u32) -> Option<usize> {
        self.pds.iter().position(|pd| pd.0 == n)
    }

    /// The cleanup plan for instance `i`'s end, on the model with it still in.
    fn plan(
        &mut self,
        k: &mut Kernel,
        vs: &mut VSpace,
        sup: &mut Supervisor,
        i: usize,
    ) -> Result<(Model, CleanupPlan), String> {
        let policy: Policy = self.system.cleanup.parse().map_err(|e| alloc::format!("{e}"))?;
        let model = self.extract(k, vs, sup, Some(i))?;
        let id = alloc::format!("PD_{}", self.pds[i].0);
        let node = model.find(&id).ok_or_else(|| alloc::format!("{id} is not in the model"))?;
        let plan = plan_cleanup(&model, Failure::Pd(node), policy).map_err(|e| alloc::format!("{e:?}"))?;
        Ok((model, plan))
    }

    /// Checks the model after the cleanup against the plan's prediction: the same PDs, the
    /// same REQUEST edges, the same servers' spaces. (The planner keeps an address space
    /// that nobody serves, while the root deletes a dead process's with its page tables:
    /// address spaces are left out of the comparison.)
    fn verify(
        &mut self,
        k: &mut Kernel,
        vs: &mut VSpace,
        sup: &mut Supervisor,
        mut predicted: Model,
        plan: &CleanupPlan,
    ) {
        plan.apply(&mut predicted);
        let actual = match self.extract(k, vs, sup, None) {
            Ok(m) => m,
            Err(e) => {
                println!("cellulos root: after cleanup, no model: {e}");
                self.failures += 1;
                return;
            }
        };
        let view = |m: &Model| -> (Vec<String>, Vec<String>) {
            let mut nodes: Vec<String> = m
                .nodes()
                .filter(|(_, n)| n.kind == NodeKind::Pd || (n.kind == NodeKind::Space && n.ty != "ADS"))
                .map(|(_, n)| n.id.clone())
                .collect();
            nodes.sort_unstable();
            let requests = m
                .edge_keys()
                .into_iter()
                .filter(|e| e.0 == EdgeKind::Request)
                .map(|(_, f, t, _, ty)| alloc::format!("{f}-{ty}->{t}"))
                .collect();
            (nodes, requests)
        };
        let (want, got) = (view(&predicted), view(&actual));
        if want == got {
            println!(
                "cellulos root: cleanup ({}) left the model as planned: {} PDs and spaces, {} requests",
                plan.policy,
                got.0.len(),
                got.1.len()
            );
        } else {
            println!("cellulos root: cleanup left the model unlike the plan: planned {want:?}, got {got:?}");
            self.failures += 1;
        }
    }
}
