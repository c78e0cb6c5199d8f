//! One CoAP exchange at a time (RFC 7252 §4): the client's own confirmable request with
//! its retransmission schedule and response matching, and the duplicate detection for
//! requests the server sends us (§4.5), with the cached last response (`ANJ_WITH_CACHE`).
//!
//! Deterministic: the caller passes the time and the random numbers in.

use crate::coap::{Message, MsgType};
use crate::time::{after, Duration, Instant, NEVER, SEC};

/// CoAP transmission parameters (RFC 7252 §4.8), as Anjay Lite's UDP transmission
/// parameters give them. ACK_RANDOM_FACTOR is kept in 16.16 fixed point: the timing arithmetic then needs
/// no floating point, which a Cortex-M4 could only do in software for doubles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxParams {
    ack_timeout: Duration,
    random_factor_q16: u32,
    max_retransmit: u16,
}

/// `v` in 16.16 fixed point (truncated), for `1.0 <= v < 32768.0`; computed from the bits
/// of `v` so that no floating-point code is linked.
fn to_q16(v: f64) -> Option<u32> {
    let bits = v.to_bits();
    let exp = ((bits >> 52) & 0x7FF) as i32;
    // Sign bit clear, and 1.0 (exponent 1023) <= v < 2^15 (exponent 1038).
    if bits >> 63 != 0 || !(1023..1038).contains(&exp) {
        return None;
    }
    let mantissa = (bits & ((1 << 52) - 1)) | (1 << 52);
    // v * 2^16 = mantissa * 2^(exp - 1023 - 52 + 16).
    Some((mantissa >> (1059 - exp)) as u32)
}

impl TxParams {
    pub const DEFAULT: TxParams = TxParams {
        ack_timeout: 2 * SEC,
        random_factor_q16: 3 << 15,
        max_retransmit: 4,
    };

    /// Checks the parameters RFC 7252 §4.8 allows: a positive ACK_TIMEOUT and
    /// 1 <= ACK_RANDOM_FACTOR (bounded here to < 32768).
    pub fn new(
        ack_timeout: Duration,
        ack_random_factor: f64,
        max_retransmit: u16,
    ) -> Option<TxParams> {
        let random_factor_q16 = to_q16(ack_random_factor)?;
        (ack_timeout > 0).then_some(TxParams {
            ack_timeout,
            random_factor_q16,
            max_retransmit,
        })
    }

    fn scale(&self, d: Duration) -> Duration {
        (d.saturating_mul(self.random_factor_q16 as i64)) >> 16
    }

    /// How long a confirmable request may be outstanding in total: MAX_TRANSMIT_WAIT =
    /// ACK_TIMEOUT * (2^(MAX_RETRANSMIT + 1) - 1) * ACK_RANDOM_FACTOR (RFC 7252 §4.8.2).
    pub fn max_transmit_wait(&self) -> Duration {
        let factor = (1i64 << (self.max_retransmit.min(20) + 1)) - 1;
        self.scale(self.ack_timeout.saturating_mul(factor))
    }

    /// The first timeout, drawn from [ACK_TIMEOUT, ACK_TIMEOUT * ACK_RANDOM_FACTOR)
    /// with `random` uniformly in 0..=u16::MAX.
    fn initial_timeout(&self, random: u16) -> Duration {
        let spread = self.scale(self.ack_timeout) - self.ack_timeout;
        self.ack_timeout + (spread.saturating_mul(random as i64) >> 16)
    }
}

/// What became of the client's own request.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Still waiting.
    Pending,
    /// Time to send the request again (RFC 7252 §4.2).
    Retransmit,
    /// No answer in time.
    TimedOut,
}

/// How a received message relates to the pending request.
#[derive(Debug, PartialEq, Eq)]
pub enum Match {
    /// Not ours.
    None,
    /// An Empty ACK: the response will come separately (§5.2.2).
    EmptyAck,
    /// The response (piggybacked on the ACK, or separate; a separate CON response must be
    /// acknowledged by the caller).
    Response,
    /// The server rejected the message (RST).
    Reset,
}

/// The client's own outstanding request. Its bytes are not kept: the client rebuilds the
/// request from its state for each retransmission, which saves a message buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pending {
    pub message_id: u16,
    token: [u8; 8],
    token_len: u8,
    retransmits: u16,
    timeout: Duration,
    next_at: Instant,
    /// After an Empty ACK: the deadline of the separate response.
    separate_deadline: Instant,
}

impl Pending {
    /// Starts tracking a CON request just sent at `now`.
    pub fn new(
        now: Instant,
        message_id: u16,
        token: &[u8],
        params: &TxParams,
        random: u16,
    ) -> Pending {
        let mut t = [0u8; 8];
        let len = token.len().min(8);
        t[..len].copy_from_slice(&token[..len]);
        let timeout = params.initial_timeout(random);
        Pending {
            message_id,
            token: t,
            token_len: len as u8,
            retransmits: 0,
            timeout,
            next_at: after(now, timeout),
            separate_deadline: NEVER,
        }
    }

    pub fn token(&self) -> &[u8] {
        &self.token[..self.token_len as usize]
    }

    /// When [`Pending::poll`] has something to say.
    pub fn deadline(&self) -> Instant {
        self.next_at.min(self.separate_deadline)
    }

    /// Advances the retransmission schedule: the timeout doubles after each retransmission,
    /// and after MAX_RETRANSMIT retransmissions the last timeout ends the exchange.
    pub fn poll(&mut self, now: Instant, params: &TxParams) -> Outcome {
        if now >= self.separate_deadline {
            return Outcome::TimedOut;
        }
        if now < self.next_at {
            return Outcome::Pending;
        }
        if self.retransmits >= params.max_retransmit {
            return Outcome::TimedOut;
        }
        self.retransmits += 1;
        self.timeout = self.timeout.saturating_mul(2);
        self.next_at = after(now, self.timeout);
        Outcome::Retransmit
    }

    /// Classifies `msg`. An Empty ACK stops retransmission and starts waiting up to
    /// `separate_timeout` for the separate response.
    pub fn classify(
        &mut self,
        msg: &Message<'_>,
        now: Instant,
        separate_timeout: Duration,
    ) -> Match {
        let id_match = msg.message_id() == self.message_id;
        match msg.msg_type() {
            MsgType::Rst if id_match => Match::Reset,
            MsgType::Ack if id_match && msg.code().is_empty() => {
                self.next_at = NEVER;
                self.separate_deadline = after(now, separate_timeout);
                Match::EmptyAck
            }
            MsgType::Ack if id_match && msg.token() == self.token() => Match::Response,
            MsgType::Con | MsgType::Non
                if msg.code().is_response() && msg.token() == self.token() =>
            {
                Match::Response
            }
            _ => Match::None,
        }
    }
}

/// Duplicate detection for the server's requests (RFC 7252 §4.5). The most recent
/// response is kept whole, so a retransmitted request gets the same bytes again; for the
/// older message IDs remembered here, a duplicate is dropped: the server has necessarily
/// received that response already, since it sent newer requests after it (NSTART = 1).
pub struct DedupCache<const N: usize, const B: usize> {
    ids: [Option<u16>; N],
    next: usize,
    #[cfg(feature = "cache")]
    last: [u8; B],
    last_len: usize,
    last_id: Option<u16>,
}

/// What to do with an incoming request.
#[derive(Debug, PartialEq, Eq)]
pub enum Dedup<'a> {
    /// First time seen: process it.
    New,
    /// Seen: send these bytes again.
    Resend(&'a [u8]),
    /// Seen, response no longer kept: ignore.
    Drop,
}

impl<const N: usize, const B: usize> Default for DedupCache<N, B> {
    fn default() -> Self {
        DedupCache {
            ids: [None; N],
            next: 0,
            #[cfg(feature = "cache")]
            last: [0; B],
            last_len: 0,
            last_id: None,
        }
    }
}

impl<const N: usize, const B: usize> DedupCache<N, B> {
    pub fn check(&self, message_id: u16) -> Dedup<'_> {
        if self.last_id == Some(message_id) {
            #[cfg(feature = "cache")]
            return Dedup::Resend(&self.last[..self.last_len]);
        }
        if self.ids.contains(&Some(message_id)) {
            return Dedup::Drop;
        }
        Dedup::New
    }

    /// Remembers the response sent for `message_id`.
    pub fn store(&mut self, message_id: u16, response: &[u8]) {
        #[cfg(feature = "cache")]
        {
            let len = response.len().min(B);
            self.last[..len].copy_from_slice(&response[..len]);
            self.last_len = len;
        }
        #[cfg(not(feature = "cache"))]
        let _ = response;
        self.last_id = Some(message_id);
        if N > 0 {
            self.ids[self.next] = Some(message_id);
            self.next = (self.next + 1) % N;
        }
    }

    /// Forgets everything (a new connection is a new message-ID space).
    pub fn clear(&mut self) {
        self.ids = [None; N];
        self.last_id = None;
        self.last_len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retransmissions_double_and_end_after_max_retransmit() {
        let p = TxParams::new(2 * SEC, 1.0, 4).unwrap();
        let mut pend = Pending::new(0, 7, &[1, 2], &p, 0);
        let mut sent_at = vec![];
        let now = loop {
            let now = pend.deadline();
            match pend.poll(now, &p) {
                Outcome::Retransmit => sent_at.push(now / SEC),
                Outcome::TimedOut => break now,
                Outcome::Pending => unreachable!(),
            }
        };
        // RFC 7252 §4.2: 2, 4, 8, 16 s between transmissions, then a last 32 s wait.
        assert_eq!(sent_at, vec![2, 6, 14, 30]);
        assert_eq!(now / SEC, 62);
    }

    #[test]
    fn initial_timeout_is_within_random_factor() {
        let p = TxParams::DEFAULT;
        assert_eq!(Pending::new(0, 1, &[], &p, 0).deadline(), 2 * SEC);
        // The top of the range, 3 s, is approached but not reached (the range is half-open).
        let top = Pending::new(0, 1, &[], &p, u16::MAX).deadline();
        assert!(top > 3 * SEC - 100 && top < 3 * SEC, "{top}");
    }

    #[test]
    fn tx_params_are_validated_and_kept_exact() {
        assert_eq!(TxParams::new(2 * SEC, 1.5, 4), Some(TxParams::DEFAULT));
        assert_eq!(to_q16(1.0), Some(1 << 16));
        assert_eq!(to_q16(2.25), Some(9 << 14));
        assert_eq!(TxParams::new(2 * SEC, 0.99, 4), None);
        assert_eq!(TxParams::new(2 * SEC, f64::NAN, 4), None);
        assert_eq!(TxParams::new(2 * SEC, f64::INFINITY, 4), None);
        assert_eq!(TxParams::new(2 * SEC, -1.5, 4), None);
        assert_eq!(TxParams::new(0, 1.5, 4), None);
    }

    #[test]
    fn max_transmit_wait_matches_rfc_default() {
        // RFC 7252 §4.8.2: MAX_TRANSMIT_WAIT = 93 s with the default parameters.
        assert_eq!(TxParams::DEFAULT.max_transmit_wait() / SEC, 93);
    }

    #[test]
    fn dedup_resends_latest_and_drops_older() {
        let mut c: DedupCache<3, 16> = DedupCache::default();
        assert_eq!(c.check(1), Dedup::New);
        c.store(1, b"one");
        c.store(2, b"two");
        #[cfg(feature = "cache")]
        assert_eq!(c.check(2), Dedup::Resend(b"two"));
        assert_eq!(c.check(1), Dedup::Drop);
        c.store(3, b"3");
        c.store(4, b"4");
        // 1 fell out of the 3-entry window.
        assert_eq!(c.check(1), Dedup::New);
    }
}
