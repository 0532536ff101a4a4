//! Helpers for the end-to-end tests.
#![allow(dead_code)]

use cellulos::runtime::{Message, Transport, TransportError};

/// A transport that records how each request travelled, around another transport.
pub struct Recording<T> {
    /// The real transport.
    pub inner: T,
    /// Per call: (words, in registers only, shared buffer, capabilities).
    pub calls: Vec<(usize, bool, bool, usize)>,
    /// The last request and its reply, as they travelled.
    pub last: Option<(Message, Message)>,
}

impl<T: Transport> Recording<T> {
    pub fn new(inner: T) -> Self {
        Recording { inner, calls: Vec::new(), last: None }
    }
}

impl<T: Transport> Transport for Recording<T> {
    fn call(&mut self, msg: &mut Message) -> Result<(), TransportError> {
        self.calls.push((msg.len, msg.in_registers(), msg.is_shared(), msg.cap_count()));
        let request = msg.clone();
        let result = self.inner.call(msg);
        self.last = Some((request, msg.clone()));
        result
    }
    fn shared(&mut self) -> &mut [u8] {
        self.inner.shared()
    }
}
