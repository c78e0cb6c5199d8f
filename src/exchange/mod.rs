//! One CoAP exchange at a time (RFC 7252 §4): the client's own confirmable request with
//! its retransmission schedule and response matching, and the duplicate detection for
//! requests the server sends us (§4.5), with the cached last response (`ANJ_WITH_CACHE`).
//!
//! Deterministic: the caller passes the time and the random numbers in.

use crate::coap::{Message, MsgType};
use crate::time::{after, Duration, Instant, NEVER, SEC};

/// CoAP transmission parameters (RFC 7252 §4.8), as `anj_exchange_udp_tx_params_t` gives them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TxParams {
    pub ack_timeout: Duration,
    pub ack_random_factor: f64,
    pub max_retransmit: u16,
}

impl TxParams {
    pub const DEFAULT: TxParams = TxParams {
        ack_timeout: 2 * SEC,
        ack_random_factor: 1.5,
        max_retransmit: 4,
    };

    /// Accepts only parameters RFC 7252 §4.8 allows (ACK_RANDOM_FACTOR >= 1, a positive timeout).
    pub fn valid(&self) -> bool {
        self.ack_timeout > 0 && self.ack_random_factor >= 1.0 && self.ack_random_factor.is_finite()
    }

    /// MAX_TRANSMIT_SPAN + ... : how long the last retransmission is waited for, in total
    /// (MAX_TRANSMIT_WAIT, RFC 7252 §4.8.2).
    pub fn max_transmit_wait(&self) -> Duration {
        let factor = (1i64 << (self.max_retransmit.min(20) + 1)) - 1;
        (self.ack_timeout as f64 * factor as f64 * self.ack_random_factor) as Duration
    }

    /// The first timeout, drawn from [ACK_TIMEOUT, ACK_TIMEOUT * ACK_RANDOM_FACTOR]
    /// with `random` uniformly in 0..=u16::MAX.
    fn initial_timeout(&self, random: u16) -> Duration {
        let spread = (self.ack_random_factor - 1.0) * self.ack_timeout as f64;
        self.ack_timeout + (spread * random as f64 / u16::MAX as f64) as Duration
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
        let p = TxParams {
            ack_timeout: 2 * SEC,
            ack_random_factor: 1.0,
            max_retransmit: 4,
        };
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
        assert_eq!(Pending::new(0, 1, &[], &p, u16::MAX).deadline(), 3 * SEC);
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
