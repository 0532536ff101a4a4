//! Finds the line of the `i`-th element of a top-level array in JSON text, so that errors
//! found after parsing (a dangling edge, a duplicate id) can still name their line.

/// The 1-based line where element `index` of the array under top-level key `key` starts.
pub fn element_line(text: &[u8], key: &str, index: usize) -> Option<u64> {
    let mut s = Scanner { text, pos: 0 };
    s.skip_ws();
    if !s.eat(b'{') {
        return None;
    }
    loop {
        s.skip_ws();
        let k = s.string()?;
        s.skip_ws();
        if !s.eat(b':') {
            return None;
        }
        s.skip_ws();
        if k == key.as_bytes() {
            if !s.eat(b'[') {
                return None;
            }
            for _ in 0..index {
                s.skip_ws();
                s.value()?;
                s.skip_ws();
                if !s.eat(b',') {
                    return None;
                }
            }
            s.skip_ws();
            return Some(1 + text[..s.pos].iter().filter(|b| **b == b'\n').count() as u64);
        }
        s.value()?;
        s.skip_ws();
        if !s.eat(b',') {
            return None;
        }
    }
}

struct Scanner<'a> {
    text: &'a [u8],
    pos: usize,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        self.pos += usize::from(hit);
        hit
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.pos += 1;
        }
    }

    /// A string's raw bytes (escapes left as they are: keys we look for have none).
    fn string(&mut self) -> Option<&'a [u8]> {
        if !self.eat(b'"') {
            return None;
        }
        let start = self.pos;
        loop {
            match self.peek()? {
                b'\\' => self.pos += 2,
                b'"' => {
                    self.pos += 1;
                    return Some(&self.text[start..self.pos - 1]);
                }
                _ => self.pos += 1,
            }
        }
    }

    /// Skips one value of any kind.
    fn value(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(|_| ()),
            open @ (b'{' | b'[') => {
                let close = if open == b'{' { b'}' } else { b']' };
                self.pos += 1;
                loop {
                    self.skip_ws();
                    if self.eat(close) {
                        return Some(());
                    }
                    self.value()?;
                    self.skip_ws();
                    if self.eat(b':') || self.eat(b',') {
                        continue;
                    }
                }
            }
            _ => {
                while matches!(self.peek(), Some(b) if !matches!(b, b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t'))
                {
                    self.pos += 1;
                }
                Some(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::element_line;

    #[test]
    fn finds_elements_across_lines() {
        let text = b"{\"a\": [1, {\"x\": \"]\"}],\n\"edges\": [\n {\"k\": [1,2]},\n {\"k\": \"\\\"\"},\n 3\n]}";
        assert_eq!(element_line(text, "edges", 0), Some(3));
        assert_eq!(element_line(text, "edges", 1), Some(4));
        assert_eq!(element_line(text, "edges", 2), Some(5));
        assert_eq!(element_line(text, "edges", 3), None);
        assert_eq!(element_line(text, "nodes", 0), None);
    }
}
