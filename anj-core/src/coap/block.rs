//! Block1/Block2 option values (RFC 7959 §2.2).

use super::option::{decode_uint, encode_uint};

/// One Block1 or Block2 option value: which block (`num`), whether more follow (`more`),
/// and the block size exponent (`szx`, size = 16 << szx).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Block {
    pub num: u32,
    pub more: bool,
    pub szx: u8,
}

impl Block {
    /// NUM is at most 20 bits: the value is a uint of at most 3 bytes (RFC 7959 §2.2).
    pub const MAX_NUM: u32 = (1 << 20) - 1;
    /// SZX 7 is reserved (RFC 7959 §2.2), so 6 (1024 bytes) is the largest.
    pub const MAX_SZX: u8 = 6;

    /// A block, or `None` if `num` needs more than 20 bits or `szx` is 7 or more.
    pub const fn new(num: u32, more: bool, szx: u8) -> Option<Block> {
        let b = Block { num, more, szx };
        if b.is_valid() {
            Some(b)
        } else {
            None
        }
    }

    /// Whether the fields fit the wire format (they are public, so they can be set
    /// to anything).
    pub const fn is_valid(&self) -> bool {
        self.num <= Self::MAX_NUM && self.szx <= Self::MAX_SZX
    }

    /// The block size in bytes, 16..=1024 for a valid block.
    pub const fn size(&self) -> usize {
        16usize << (self.szx & 0x07)
    }

    /// The byte offset of this block in the whole body: NUM * size (RFC 7959 §2.2).
    pub const fn offset(&self) -> usize {
        (self.num as usize).saturating_mul(self.size())
    }

    /// The SZX of a block size that is a power of two in 16..=1024, else `None`.
    pub const fn szx_for_size(size: usize) -> Option<u8> {
        if size < 16 || size > 1024 || !size.is_power_of_two() {
            return None;
        }
        Some((size.trailing_zeros() - 4) as u8)
    }

    /// Decodes an option value: a uint of 0 to 3 bytes (RFC 7959 §2.2). `None` if it is
    /// longer or uses the reserved SZX 7, which a server answers with 4.00 Bad Request.
    pub fn decode(value: &[u8]) -> Option<Block> {
        let v = decode_uint(value, 3)?;
        Block::new(v >> 4, v & 0x08 != 0, (v & 0x07) as u8)
    }

    /// The option value as a uint (shortest encoding is up to the writer), or `None` if
    /// the fields are out of range.
    pub const fn to_uint(&self) -> Option<u32> {
        if !self.is_valid() {
            return None;
        }
        Some((self.num << 4) | ((self.more as u32) << 3) | self.szx as u32)
    }

    /// Encodes into the shortest option value; returns the bytes and how many are used,
    /// or `None` if the fields are out of range.
    pub fn encode(&self) -> Option<([u8; 4], usize)> {
        self.to_uint().map(encode_uint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_offsets() {
        let b = Block::new(3, true, 2).unwrap();
        assert_eq!(b.size(), 64);
        assert_eq!(b.offset(), 192);
        assert_eq!(Block::new(0, false, 6).unwrap().size(), 1024);
        assert_eq!(Block::szx_for_size(16), Some(0));
        assert_eq!(Block::szx_for_size(1024), Some(6));
        assert_eq!(Block::szx_for_size(2048), None);
        assert_eq!(Block::szx_for_size(100), None);
        assert_eq!(Block::szx_for_size(8), None);
    }

    #[test]
    fn reserved_szx_and_oversized_num_are_rejected() {
        assert_eq!(Block::new(0, false, 7), None);
        assert_eq!(Block::new(Block::MAX_NUM + 1, false, 0), None);
        assert_eq!(Block::decode(&[0x07]), None);
        assert_eq!(Block::decode(&[0, 0, 0, 0x06]), None);
        let bad = Block {
            num: 0,
            more: false,
            szx: 7,
        };
        assert_eq!(bad.encode(), None);
        assert_eq!(
            Block {
                num: 1 << 20,
                more: false,
                szx: 0
            }
            .to_uint(),
            None
        );
    }

    #[test]
    fn decode_matches_rfc7959_examples() {
        // Empty value: block 0, no more, 16 bytes.
        assert_eq!(
            Block::decode(&[]),
            Some(Block {
                num: 0,
                more: false,
                szx: 0
            })
        );
        // 0x0a: NUM 0, M 1, SZX 2 ("2:0/1/64" style notation of RFC 7959 §3).
        assert_eq!(
            Block::decode(&[0x0a]),
            Some(Block {
                num: 0,
                more: true,
                szx: 2
            })
        );
        // 0x1e: NUM 1, M 1, SZX 6 (1024).
        assert_eq!(
            Block::decode(&[0x1e]),
            Some(Block {
                num: 1,
                more: true,
                szx: 6
            })
        );
        assert_eq!(
            Block::decode(&[0x01, 0x06]),
            Some(Block {
                num: 16,
                more: false,
                szx: 6
            })
        );
        assert_eq!(
            Block::decode(&[0xff, 0xff, 0xfe]),
            Some(Block {
                num: Block::MAX_NUM,
                more: true,
                szx: 6
            })
        );
    }

    #[test]
    fn encode_is_shortest_and_round_trips() {
        assert_eq!(Block::new(0, false, 0).unwrap().encode(), Some(([0; 4], 0)));
        assert_eq!(
            Block::new(0, true, 2).unwrap().encode(),
            Some(([0x0a, 0, 0, 0], 1))
        );
        assert_eq!(
            Block::new(16, false, 6).unwrap().encode(),
            Some(([0x01, 0x06, 0, 0], 2))
        );
        for num in [0, 1, 15, 16, 4095, 4096, Block::MAX_NUM] {
            for more in [false, true] {
                for szx in 0..=6 {
                    let b = Block::new(num, more, szx).unwrap();
                    let (bytes, n) = b.encode().unwrap();
                    assert!(n <= 3);
                    assert_eq!(Block::decode(&bytes[..n]), Some(b));
                }
            }
        }
    }
}
