//! application/octet-stream (content format 42), LwM2M TS Core §7.4.2: the raw bytes of
//! exactly one Opaque resource (or resource instance). Decoding borrows the payload.

use super::value::{DataType, Decoder, Encoder, Entry, IoError, Path, SliceWriter, TypeOf, Value};

/// Encoder of the opaque format: one Bytes entry at resource or resource instance level.
pub struct OpaqueEncoder<'b> {
    w: SliceWriter<'b>,
    base: Path,
    done: bool,
}

impl<'b> OpaqueEncoder<'b> {
    pub fn new(base: Path, out: &'b mut [u8]) -> Self {
        Self::with_writer(base, SliceWriter::new(out))
    }

    pub fn with_writer(base: Path, w: SliceWriter<'b>) -> Self {
        OpaqueEncoder {
            w,
            base,
            done: false,
        }
    }
}

impl Encoder for OpaqueEncoder<'_> {
    fn entry(&mut self, e: &Entry<'_>) -> Result<(), IoError> {
        if self.done {
            return Err(IoError::Logic);
        }
        if e.path.len() < 3 || !self.base.is_prefix_of(&e.path) {
            return Err(IoError::BadPath);
        }
        let Value::Bytes(b) = e.value else {
            // Only Opaque resources have an opaque representation (4.06 for the others).
            return Err(IoError::Unsupported);
        };
        self.w.push(b)?;
        self.done = true;
        Ok(())
    }

    #[cfg(feature = "external-data")]
    fn streamed(
        &mut self,
        path: &Path,
        ty: DataType,
        src: &mut super::value::Source<'_>,
    ) -> Result<(), IoError> {
        if self.done {
            return Err(IoError::Logic);
        }
        if path.len() < 3 || !self.base.is_prefix_of(path) {
            return Err(IoError::BadPath);
        }
        if ty != DataType::Bytes {
            return Err(IoError::Unsupported);
        }
        if self.w.is_window() {
            // One block of a larger response: the response's length is the value's, and
            // only the block's bytes are read (from where the block starts).
            let len = super::value::stream_len(src)?;
            self.w.push_streamed(src, len)?;
        } else {
            // The raw bytes: no length needed, one pass.
            let w = &mut self.w;
            super::value::stream_pass(src, &mut |c| w.push(c).map(|_| true))?;
        }
        self.done = true;
        Ok(())
    }

    fn finish(self) -> Result<usize, IoError> {
        Ok(self.w.pos)
    }
}

/// Decoder of the opaque format: one Bytes entry at the request path.
pub struct OpaqueDecoder<'a> {
    data: &'a [u8],
    path: Path,
    done: bool,
}

impl<'a> OpaqueDecoder<'a> {
    pub fn new(path: Path, data: &'a [u8]) -> Self {
        OpaqueDecoder {
            data,
            path,
            done: false,
        }
    }
}

impl<'a> Decoder<'a> for OpaqueDecoder<'a> {
    /// The resource must be of type Opaque (or unknown: `None`); anything else is a
    /// [`IoError::TypeMismatch`].
    fn next_entry(&mut self, expected: TypeOf<'_>) -> Result<Option<Entry<'a>>, IoError> {
        if self.done {
            return Ok(None);
        }
        self.done = true;
        if self.path.len() < 3 {
            return Err(IoError::Unsupported);
        }
        match expected(&self.path) {
            None | Some(DataType::Bytes) => {
                Ok(Some(Entry::new(self.path, Value::Bytes(self.data))))
            }
            Some(_) => Err(IoError::TypeMismatch),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let p = Path::new(&[5, 0, 0]);
        for data in [&b""[..], b"\x00\x01\xfe\xff", &[7u8; 300]] {
            let mut buf = [0u8; 400];
            let mut e = OpaqueEncoder::new(p, &mut buf);
            e.entry(&Entry::new(p, Value::Bytes(data))).unwrap();
            let n = e.finish().unwrap();
            assert_eq!(&buf[..n], data);
            let mut d = OpaqueDecoder::new(p, &buf[..n]);
            assert_eq!(
                d.next_entry(&|_| Some(DataType::Bytes)),
                Ok(Some(Entry::new(p, Value::Bytes(data))))
            );
            assert_eq!(d.next_entry(&|_| Some(DataType::Bytes)), Ok(None));
        }
    }

    #[test]
    fn errors() {
        let p = Path::new(&[5, 0, 0]);
        let mut buf = [0u8; 4];
        let mut e = OpaqueEncoder::new(p, &mut buf);
        assert_eq!(
            e.entry(&Entry::new(p, Value::Int(1))),
            Err(IoError::Unsupported)
        );
        assert_eq!(
            e.entry(&Entry::new(Path::new(&[5, 0]), Value::Bytes(b""))),
            Err(IoError::BadPath)
        );
        assert_eq!(
            e.entry(&Entry::new(p, Value::Bytes(b"12345"))),
            Err(IoError::BufferTooSmall)
        );
        e.entry(&Entry::new(p, Value::Bytes(b"1234"))).unwrap();
        assert_eq!(
            e.entry(&Entry::new(p, Value::Bytes(b""))),
            Err(IoError::Logic)
        );
        let mut d = OpaqueDecoder::new(p, b"x");
        assert_eq!(
            d.next_entry(&|_| Some(DataType::String)),
            Err(IoError::TypeMismatch)
        );
        let mut d = OpaqueDecoder::new(Path::new(&[5]), b"x");
        assert_eq!(d.next_entry(&|_| None), Err(IoError::Unsupported));
    }
}
