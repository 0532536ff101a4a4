//! Extraction: each live server's part of the model, asked for through the root's own
//! connection to it (`export_model`), merged with the root's part, and streamed on COM2.

use alloc::string::String;
use alloc::vec::Vec;

use cellulos_keeper::ServerPart;
use cellulos_runtime::server::{Class, Object};
use cellulos_runtime::{Book, Message};
use cellulos_system::frame;
use cellulos_system::snapshot::Snapshot;
use sel4::{MessageInfo, Word};
use sel4_rt::println;

use super::{Running, SHARED_BYTES};
use crate::kernel::Kernel;
use crate::thread::Supervisor;
use crate::vspace::VSpace;

impl Running {
    /// Extracts the model and streams it out, labelled with its number in the run, `who`
    /// asked (an instance name, or `root`) and when; the status to answer a requester with.
    pub(super) fn extract_and_send(
        &mut self,
        k: &mut Kernel,
        vs: &mut VSpace,
        sup: &mut Supervisor,
        who: &str,
    ) -> Word {
        let seq = u32::try_from(self.models.len() + 1).unwrap_or(u32::MAX);
        let label = Snapshot { seq, cycles: sel4::debug::rdtsc(), who: String::from(who) };
        let sent = self.extract(k, vs, sup, None).and_then(|model| {
            let bytes = osmosis::wire::to_bytes(&model);
            let head = label.encode().ok_or("a snapshot asked for by no instance name")?;
            crate::com2::send(frame::KIND_SNAPSHOT, &head).map_err(String::from)?;
            crate::com2::send(frame::KIND_MODEL, &bytes).map_err(String::from)?;
            Ok((model, bytes.len()))
        });
        match sent {
            Ok((model, bytes)) => {
                let (nodes, edges) = (model.node_count(), model.edge_count());
                println!("cellulos root: model extracted: {nodes} nodes, {edges} edges ({bytes} bytes on COM2)");
                self.extracted = true;
                self.last_bytes = bytes;
                self.models.push(model);
                0
            }
            Err(e) => {
                println!("cellulos root: model extraction failed: {e}");
                self.failures += 1;
                2
            }
        }
    }

    /// Extracts the model now for `who` (as `extract_and_send`) and summarises it for
    /// `pd.dump_model`.
    pub(super) fn dump(
        &mut self,
        k: &mut Kernel,
        vs: &mut VSpace,
        sup: &mut Supervisor,
        who: &str,
    ) -> Option<cellulos::interfaces::pd::ModelSummary> {
        if self.extract_and_send(k, vs, sup, who) != 0 {
            return None;
        }
        let m = self.models.last()?;
        let stats = osmosis::query::stats(m);
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let of = |kind| count(stats.nodes.get(&kind).copied().unwrap_or(0));
        Some(cellulos::interfaces::pd::ModelSummary {
            pds: of(osmosis::NodeKind::Pd),
            resources: of(osmosis::NodeKind::Resource),
            spaces: of(osmosis::NodeKind::Space),
            edges: count(m.edge_count()),
            bytes: count(self.last_bytes),
        })
    }

    /// One server's book, as its `export_model` answers.
    fn book_of(
        &mut self,
        k: &mut Kernel,
        vs: &mut VSpace,
        sup: &mut Supervisor,
        i: usize,
    ) -> Result<Option<Book>, String> {
        let (Some(Some((_, va))), Some((name, Some(_), true))) = (self.root_conns.get(i), self.processes.get(i)) else {
            return Ok(None);
        };
        let (va, name) = (*va, name.clone());
        let label = cellulos_runtime::limits::EXPORT_MODEL as Word;
        let (info, mrs) = self.call_server(k, vs, sup, i, MessageInfo::new(label, 0, 0, 0), &[], 0);
        let mut msg = Message::new(info.label() as u32);
        msg.len = info.length().min(msg.words.len());
        for (n, w) in msg.words.iter_mut().enumerate().take(msg.len) {
            *w = k.ipc.reply_word(&mrs, n);
        }
        if msg.code() == cellulos_runtime::Status::ServerGone as u32 && self.end_pending(i) {
            // It ended (before or during the call): what is known of it, as of a failed one.
            return Ok(Some(self.spaces_of(i)));
        }
        if msg.code() != 0 {
            return Err(alloc::format!("{name}: export_model answered status {}", msg.code()));
        }
        // SAFETY: the root mapped SHARED_BYTES of this connection's frames read-write at `va`
        // for as long as `running` lives; the server wrote its answer before replying and
        // is now waiting for its next call, so nothing writes meanwhile.
        let shared = unsafe { core::slice::from_raw_parts(va as *const u8, SHARED_BYTES) };
        msg.decode(shared).map(Some).map_err(|e| alloc::format!("{name}: its model: {e}"))
    }

    /// Tells live server `s` that the client behind `badge` is gone (`RELEASE_HOLDER`).
    pub(super) fn release_holder(
        &mut self,
        k: &mut Kernel,
        vs: &mut VSpace,
        sup: &mut Supervisor,
        s: usize,
        badge: u32,
    ) -> Result<(), String> {
        let (Some(Some(_)), Some((name, Some(_), true))) = (self.root_conns.get(s), self.processes.get(s)) else {
            return Ok(());
        };
        let name = name.clone();
        let label = cellulos_runtime::limits::RELEASE_HOLDER as Word;
        let (info, _) = self.call_server(k, vs, sup, s, MessageInfo::new(label, 0, 0, 1), &[Word::from(badge)], 0);
        match info.label() {
            0 => Ok(()),
            status => Err(alloc::format!("{name}: release_holder answered status {status}")),
        }
    }

    /// What the model knows of a server that cannot be asked (it failed): the spaces of
    /// the types it serves, held by itself (a space per space type, as servers declare
    /// theirs first), so that a cleanup plan sees what dies with it.
    fn spaces_of(&self, i: usize) -> Book {
        let mut book = Book::new();
        let mut seen: Vec<&str> = Vec::new();
        for (_, space) in &self.serves[i] {
            if seen.contains(&space.as_str()) {
                continue;
            }
            seen.push(space);
            let id = book.add(Object { class: Class::Space, type_name: space.clone(), key: 0, space: None });
            // A fresh book has room for a handle per space type.
            let _ = book.grant(0, id, 3);
        }
        book
    }

    /// The whole model: the root's part, and each live server's part as its
    /// `export_model` answers through the root's connection; `failed` (a server that
    /// cannot answer), and a server whose end is queued, are represented by the spaces
    /// they serve.
    pub fn extract(
        &mut self,
        k: &mut Kernel,
        vs: &mut VSpace,
        sup: &mut Supervisor,
        failed: Option<usize>,
    ) -> Result<osmosis::Model, String> {
        let mut books: Vec<(usize, Book)> = Vec::new();
        for i in 0..self.processes.len() {
            if Some(i) == failed {
                if self.processes[i].2 {
                    books.push((i, self.spaces_of(i)));
                }
                continue;
            }
            if let Some(book) = self.book_of(k, vs, sup, i)? {
                books.push((i, book));
            }
        }
        let types: Vec<Vec<(&str, &str)>> = books
            .iter()
            .map(|(i, _)| self.serves[*i].iter().map(|(r, s)| (r.as_str(), s.as_str())).collect())
            .collect();
        let parts: Vec<ServerPart<'_>> =
            books.iter().zip(&types).map(|((i, book), types)| ServerPart { pd: self.pds[*i], book, types }).collect();
        self.keeper.extract(&parts).map_err(|e| alloc::format!("merging the model: {e}"))
    }
}
