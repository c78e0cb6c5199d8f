//! Block-wise transfer of responses (RFC 7959 Block2): which part of a response payload
//! a block carries. Responses are not stored: each block re-runs the encoder with a window
//! over the whole payload, so a server may start at any block and change the block size
//! mid-transfer at no cost in RAM.

use crate::coap::Block;

/// Largest block size this client sends (RFC 7959 §2.2: SZX 6 = 1024 bytes).
const MAX_SZX: u8 = 6;

/// One block of a response payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockPlan {
    pub num: u32,
    pub szx: u8,
}

impl BlockPlan {
    pub fn size(&self) -> usize {
        16usize << self.szx
    }

    /// Offset of the block in the whole payload.
    pub fn offset(&self) -> usize {
        (self.num as usize).saturating_mul(self.size())
    }

    /// The Block2 option value for a payload of `total` bytes.
    pub fn option(&self, total: usize) -> Block {
        Block {
            num: self.num,
            more: self.offset().saturating_add(self.size()) < total,
            szx: self.szx,
        }
    }
}

/// The largest SZX whose block fits in `space` bytes, if any.
fn szx_for(space: usize) -> Option<u8> {
    (0..=MAX_SZX).rev().find(|szx| (16usize << szx) <= space)
}

/// The block to send, given the request's Block2 option (if any) and the payload room
/// in the response. A server asking for a larger block than fits gets a smaller one, with
/// the block number scaled so that the offset is the one it asked for (RFC 7959 §2.4).
/// `None` when not even a 16-byte block fits.
pub fn plan(requested: Option<Block>, space: usize) -> Option<BlockPlan> {
    let max = szx_for(space)?;
    Some(match requested {
        None => BlockPlan { num: 0, szx: max },
        Some(b) if b.szx <= max => BlockPlan {
            num: b.num,
            szx: b.szx,
        },
        Some(b) => {
            let factor = 1u32 << (b.szx - max);
            BlockPlan {
                num: b.num.saturating_mul(factor),
                szx: max,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_block_uses_the_largest_size_that_fits() {
        assert_eq!(plan(None, 1100), Some(BlockPlan { num: 0, szx: 6 }));
        assert_eq!(plan(None, 1000), Some(BlockPlan { num: 0, szx: 5 }));
        assert_eq!(plan(None, 16), Some(BlockPlan { num: 0, szx: 0 }));
        assert_eq!(plan(None, 15), None);
    }

    #[test]
    fn the_server_chooses_size_and_start() {
        // A smaller size than we would use, starting mid-way (RFC 7959 §2.4 late negotiation).
        let p = plan(
            Some(Block {
                num: 3,
                more: false,
                szx: 2,
            }),
            1100,
        )
        .unwrap();
        assert_eq!((p.num, p.szx, p.offset()), (3, 2, 192));
        assert!(p.option(300).more);
        assert!(!p.option(256).more);
    }

    #[test]
    fn a_too_large_request_is_scaled_down_keeping_the_offset() {
        let p = plan(
            Some(Block {
                num: 2,
                more: false,
                szx: 6,
            }),
            600,
        )
        .unwrap();
        assert_eq!((p.num, p.szx), (4, 5));
        assert_eq!(p.offset(), 2 * 1024);
    }
}

/// What to do with one block of a block-wise request (RFC 7959 Block1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Block1Step {
    /// The first block of a new transfer (any transfer in progress is abandoned).
    Start,
    /// The expected next block: its payload starts at this offset of the whole body.
    Continue { offset: usize },
    /// Not the block expected: 4.08 Request Entity Incomplete (RFC 7959 §2.9.2).
    Incomplete,
}

/// A block-wise request being received, identified by its method and path (the token may
/// change from block to block, RFC 7959 §2.3).
#[derive(Clone, Copy, Debug, Default)]
pub struct Block1Rx {
    active: bool,
    method: u8,
    path: crate::io::value::Path,
    offset: usize,
    /// Size of the blocks received so far; a server may lower it between blocks.
    szx: u8,
}

impl Block1Rx {
    #[cfg(test)]
    pub fn active(&self) -> bool {
        self.active
    }

    pub fn abandon(&mut self) {
        self.active = false;
    }

    /// Classifies a block of a request with `method` on `path`.
    pub fn classify(&self, method: u8, path: &crate::io::value::Path, b: Block) -> Block1Step {
        if b.num == 0 {
            return Block1Step::Start;
        }
        if !self.active
            || self.method != method
            || self.path != *path
            || b.num != self.next_num_for(b.szx)
        {
            return Block1Step::Incomplete;
        }
        Block1Step::Continue {
            offset: self.offset,
        }
    }

    /// The block number the next block has if its size is `szx`, or `u32::MAX` when the
    /// offset reached so far is not a multiple of that size.
    fn next_num_for(&self, szx: u8) -> u32 {
        let size = 16usize << szx;
        if self.offset % size != 0 {
            return u32::MAX;
        }
        u32::try_from(self.offset / size).unwrap_or(u32::MAX)
    }

    /// Records a block that was processed; `len` is its payload length. Ends the transfer
    /// when it was the last one.
    pub fn accepted(&mut self, method: u8, path: &crate::io::value::Path, b: Block, len: usize) {
        if b.num == 0 {
            *self = Block1Rx {
                active: true,
                method,
                path: *path,
                offset: 0,
                szx: b.szx,
            };
        }
        self.offset = self.offset.saturating_add(len);
        self.szx = b.szx;
        if !b.more {
            self.active = false;
        }
    }
}

#[cfg(test)]
mod block1_tests {
    use super::*;
    use crate::io::value::Path;

    const PUT: u8 = 3;

    #[test]
    fn blocks_in_order_then_done() {
        let p = Path::new(&[5, 0, 0]);
        let mut rx = Block1Rx::default();
        let b0 = Block {
            num: 0,
            more: true,
            szx: 6,
        };
        assert_eq!(rx.classify(PUT, &p, b0), Block1Step::Start);
        rx.accepted(PUT, &p, b0, 1024);
        let b1 = Block {
            num: 1,
            more: true,
            szx: 6,
        };
        assert_eq!(
            rx.classify(PUT, &p, b1),
            Block1Step::Continue { offset: 1024 }
        );
        rx.accepted(PUT, &p, b1, 1024);
        // The server lowers the block size: block 8 of 256 bytes starts at 2048.
        let b2 = Block {
            num: 8,
            more: false,
            szx: 4,
        };
        assert_eq!(
            rx.classify(PUT, &p, b2),
            Block1Step::Continue { offset: 2048 }
        );
        rx.accepted(PUT, &p, b2, 100);
        assert!(!rx.active());
    }

    #[test]
    fn gaps_other_paths_and_strays_are_incomplete() {
        let p = Path::new(&[5, 0, 0]);
        let mut rx = Block1Rx::default();
        assert_eq!(
            rx.classify(
                PUT,
                &p,
                Block {
                    num: 1,
                    more: true,
                    szx: 6
                }
            ),
            Block1Step::Incomplete
        );
        let b0 = Block {
            num: 0,
            more: true,
            szx: 6,
        };
        rx.accepted(PUT, &p, b0, 1024);
        assert_eq!(
            rx.classify(
                PUT,
                &p,
                Block {
                    num: 2,
                    more: true,
                    szx: 6
                }
            ),
            Block1Step::Incomplete
        );
        assert_eq!(
            rx.classify(
                PUT,
                &Path::new(&[5, 0, 1]),
                Block {
                    num: 1,
                    more: true,
                    szx: 6
                }
            ),
            Block1Step::Incomplete
        );
        assert_eq!(
            rx.classify(
                2,
                &p,
                Block {
                    num: 1,
                    more: true,
                    szx: 6
                }
            ),
            Block1Step::Incomplete
        );
    }
}

/// The payload room of one outgoing message: what the message buffer leaves after the
/// header and options, at most `ANJ_OUT_PAYLOAD_BUFFER_SIZE` (as in Anjay Lite, whose
/// payloads are built in a buffer of that size). Larger payloads go block-wise.
pub fn payload_limit(space: usize) -> usize {
    space.min(crate::config::OUT_PAYLOAD_BUFFER_SIZE)
}

/// Writes bytes `[skip, skip + out.len())` of a payload into `out` (`out`, `skip`) and
/// returns the payload's total length.
pub type Window<'p, E> = dyn FnMut(&mut [u8], usize) -> Result<usize, E> + 'p;

/// A request payload of ours that may go block-wise (RFC 7959 Block1: Register, Update,
/// Send): which part of it the next message carries. The payload is not stored; each
/// message encodes it again into a window ([`Block1Tx::write`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block1Tx {
    /// Offset of the next block in the whole payload.
    offset: u32,
    /// Largest block size exponent allowed (the server may lower it in its 2.31).
    szx: u8,
    /// The Block1 option of the message last built; `None`: the payload went whole.
    sent: Option<Block>,
}

impl Default for Block1Tx {
    fn default() -> Self {
        Self::START
    }
}

impl Block1Tx {
    /// The whole payload, or its first block when it does not fit one message.
    pub const START: Block1Tx = Block1Tx {
        offset: 0,
        szx: MAX_SZX,
        sent: None,
    };

    /// Writes the payload into `w` (after its other options): whole when this is the
    /// first message and it fits [`payload_limit`], else Block1 and the block at the
    /// current offset, of the largest size that fits (RFC 7959 §2.3). `produce(out, skip)`
    /// writes bytes `[skip, skip + out.len())` of the payload into `out` and returns the
    /// payload's total length; it is called once for a whole payload, twice for a block.
    /// `Err(())`: not even a 16-byte block fits, or the offset is past the end.
    pub fn write<E>(
        &mut self,
        w: &mut crate::coap::MessageWriter<'_>,
        produce: &mut Window<'_, E>,
    ) -> Result<Result<(), E>, ()> {
        let space = w.payload_space();
        let limit = payload_limit(space.len());
        if self.offset == 0 && self.sent.is_none() {
            let room = space.get_mut(..limit).ok_or(())?;
            let total = match produce(room, 0) {
                Ok(t) => t,
                Err(e) => return Ok(Err(e)),
            };
            if total <= limit {
                self.sent = None;
                w.commit_payload(total).map_err(|_| ())?;
                return Ok(Ok(()));
            }
        }
        // A Block1 option takes at most 4 bytes (delta < 13 after Uri-Query, 3-byte value).
        let szx = szx_for(limit.min(space.len().saturating_sub(4)))
            .ok_or(())?
            .min(self.szx);
        let size = 16usize << szx;
        let offset = self.offset as usize;
        let num = u32::try_from(offset / size).map_err(|_| ())?;
        // Learn the total length first: the More flag goes before the payload.
        let total = match produce(&mut [], 0) {
            Ok(t) => t,
            Err(e) => return Ok(Err(e)),
        };
        if offset >= total {
            return Err(());
        }
        let block = Block::new(num, offset + size < total, szx).ok_or(())?;
        w.block_option(crate::coap::opt::BLOCK1, block)
            .map_err(|_| ())?;
        let len = size.min(total - offset);
        let out = w.payload_space().get_mut(..len).ok_or(())?;
        if let Err(e) = produce(out, offset) {
            return Ok(Err(e));
        }
        w.commit_payload(len).map_err(|_| ())?;
        self.sent = Some(block);
        Ok(Ok(()))
    }

    /// The server answered the block last sent with 2.31 Continue (its Block1 option, if
    /// any, in `echo`): moves on to the next block at the server's size if smaller, and
    /// says whether there is one. False if the payload went whole or that was the last
    /// block.
    pub fn advance(&mut self, echo: Option<Block>) -> bool {
        let Some(sent) = self.sent.filter(|b| b.more) else {
            return false;
        };
        let Ok(next) = u32::try_from(sent.offset() + sent.size()) else {
            return false;
        };
        self.offset = next;
        self.szx = echo.map_or(sent.szx, |b| b.szx.min(sent.szx));
        // The offset stays a multiple of the new (smaller, power-of-two) size.
        self.sent = None;
        true
    }
}
