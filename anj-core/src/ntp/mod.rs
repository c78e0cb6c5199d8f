//! A sans-IO SNTPv4 client (RFC 4330, on the wire format of RFC 5905 §7.3).
//!
//! [`Sntp`] is the state machine behind `anj_ntp_*`: one synchronization is a series of
//! attempts (connect, send one 48-byte client request, wait for the answer up to a
//! timeout, close), first against the primary server and, when all its attempts failed,
//! as many against the backup server. The network is reached through [`NtpIo`] and the
//! clock is the `now` each call receives, so tests drive it in simulated time.
//!
//! The request carries a random Transmit Timestamp; an answer counts only if its
//! Originate Timestamp echoes it (RFC 4330 §5), so stale or forged datagrams are
//! ignored. From the four timestamps of the exchange (T1 request sent and T4 answer
//! received on the local monotonic clock, T2 and T3 on the server's clock) the time at
//! T4 is T3 plus half the round-trip delay `(T4 - T1) - (T3 - T2)`.

use crate::link::{NetStatus, Recv};
use crate::time::{Duration, Instant, SEC};

pub mod object;

/// Port the servers are reached at unless the address names one.
pub const NTP_PORT: &str = "123";
/// Size of an NTP packet without extensions or MAC.
pub const MSG_SIZE: usize = 48;
/// Seconds from the NTP epoch (1900-01-01) to the Unix epoch (1970-01-01).
pub const NTP_TO_UNIX: i64 = 2_208_988_800;
/// Default time to wait for a server's answer.
pub const DEFAULT_TIMEOUT: Duration = 5 * SEC;
const HOUR: Duration = 3600 * SEC;

/// What the client needs from the network: one UDP "connection" at a time.
pub trait NtpIo {
    /// Connects to `host`:`port` (a fresh context). `InProgress`: call again.
    fn connect(&mut self, host: &str, port: &str) -> NetStatus;
    fn send(&mut self, datagram: &[u8]) -> NetStatus;
    fn recv(&mut self, buf: &mut [u8]) -> Recv;
    /// Closes and releases the connection, if any.
    fn close(&mut self) -> NetStatus;
    /// Fills `buf` with random bytes; false if none are available.
    fn random(&mut self, buf: &mut [u8]) -> bool;
}

/// What the application is told (the C face's NTP status events).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    Initial,
    PeriodExceeded,
    InProgress,
    /// Synchronized: the current real time, in microseconds since the Unix epoch.
    Synchronized(i64),
    Failed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Init,
    Idle,
    Connecting,
    Sending,
    Waiting,
    Closing,
}

/// A parsed, accepted server answer: its Receive (T2) and Transmit (T3) timestamps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reply {
    pub t2: u64,
    pub t3: u64,
}

/// Why an answer is not used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reject {
    /// Not an answer to our current request (too short, wrong mode, origin mismatch):
    /// ignored, the client keeps waiting.
    NotOurs,
    /// An answer to our request that carries no usable time (Kiss-o'-Death, an
    /// unsynchronized server, no transmit time): the attempt failed.
    Unusable,
}

/// The client request: LI 0, version 4, mode 3 (client), everything else zero but the
/// Transmit Timestamp, which carries `nonce`.
pub fn request(nonce: u64) -> [u8; MSG_SIZE] {
    let mut p = [0u8; MSG_SIZE];
    p[0] = 4 << 3 | 3;
    p[40..48].copy_from_slice(&nonce.to_be_bytes());
    p
}

fn ts(p: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&p[at..at + 8]);
    u64::from_be_bytes(b)
}

/// Checks a datagram against the request that carried `nonce` (RFC 4330 §5).
pub fn parse(datagram: &[u8], nonce: u64) -> Result<Reply, Reject> {
    if datagram.len() < MSG_SIZE {
        return Err(Reject::NotOurs);
    }
    let (li, vn, mode) = (datagram[0] >> 6, (datagram[0] >> 3) & 7, datagram[0] & 7);
    if mode != 4 || !(1..=4).contains(&vn) || ts(datagram, 24) != nonce {
        return Err(Reject::NotOurs);
    }
    let stratum = datagram[1];
    let (t2, t3) = (ts(datagram, 32), ts(datagram, 40));
    if li == 3 || stratum == 0 || stratum > 15 || t3 == 0 {
        return Err(Reject::Unusable);
    }
    Ok(Reply { t2, t3 })
}

/// An NTP timestamp (32.32 fixed point seconds since 1900, era-relative) as Unix
/// microseconds: values with the top bit clear are taken to be in era 1, which starts
/// in 2036 (RFC 4330 §3).
pub fn ntp_to_unix_us(t: u64) -> i64 {
    let secs = (t >> 32) as i64;
    let era_secs = if secs & 0x8000_0000 == 0 {
        secs + (1i64 << 32)
    } else {
        secs
    };
    let frac_us = (((t & 0xFFFF_FFFF) as u128 * 1_000_000) >> 32) as i64;
    (era_secs - NTP_TO_UNIX) * SEC + frac_us
}

/// A difference of two NTP timestamps in microseconds (wrapping, so it works across an
/// era boundary for any span under 68 years).
pub fn ntp_diff_us(later: u64, earlier: u64) -> i64 {
    let d = later.wrapping_sub(earlier) as i64;
    ((d as i128 * 1_000_000) >> 32) as i64
}

/// The real time at T4, from the exchange's four timestamps: the server's transmit time
/// plus half the round trip spent on the network (never negative).
pub fn time_at_t4(reply: Reply, t1: Instant, t4: Instant) -> i64 {
    let server_hold = ntp_diff_us(reply.t3, reply.t2).max(0);
    let delay = ((t4 - t1) - server_hold).max(0);
    ntp_to_unix_us(reply.t3) + delay / 2
}

/// The synchronization state machine.
#[derive(Clone, Copy, Debug)]
pub struct Sntp {
    pub phase: Phase,
    pub max_attempts: u16,
    pub timeout: Duration,
    attempts: u16,
    using_backup: bool,
    synchronized: bool,
    aborted: bool,
    /// Start of the period: the last attempt's end, or initialisation.
    pub last_sync: Instant,
    /// The last successful synchronization (or initialisation).
    pub last_success: Instant,
    pub sync_error: bool,
    t1: Instant,
    nonce: u64,
    result: i64,
}

impl Sntp {
    pub fn new(now: Instant, max_attempts: u16, timeout: Duration) -> Self {
        Self {
            phase: Phase::Init,
            max_attempts: max_attempts.max(1),
            timeout: if timeout <= 0 {
                DEFAULT_TIMEOUT
            } else {
                timeout
            },
            attempts: 0,
            using_backup: false,
            synchronized: false,
            aborted: false,
            last_sync: now,
            last_success: now,
            sync_error: false,
            t1: 0,
            nonce: 0,
            result: 0,
        }
    }

    pub fn busy(&self) -> bool {
        !matches!(self.phase, Phase::Init | Phase::Idle)
    }

    /// Whether the current attempts go to the backup server.
    pub fn using_backup(&self) -> bool {
        self.using_backup
    }

    /// Starts a synchronization; `None` if one is under way.
    pub fn start(&mut self) -> Option<Event> {
        if self.busy() {
            return None;
        }
        self.phase = Phase::Connecting;
        self.attempts = 0;
        self.using_backup = false;
        self.synchronized = false;
        self.aborted = false;
        Some(Event::InProgress)
    }

    /// Abandons the synchronization under way (reported as a failure once closed).
    pub fn terminate(&mut self) {
        if self.busy() {
            self.aborted = true;
            self.synchronized = false;
            self.phase = Phase::Closing;
        }
    }

    /// Advances the machine by one step. `period_hours` is the NTP period resource (0:
    /// no periodic synchronization); `primary`/`backup` the server addresses (`host` or
    /// `host:port`, `[v6]:port`; empty backup: none).
    pub fn step(
        &mut self,
        now: Instant,
        period_hours: u32,
        primary: &str,
        backup: &str,
        io: &mut impl NtpIo,
    ) -> Option<Event> {
        match self.phase {
            Phase::Init => {
                self.phase = Phase::Idle;
                Some(Event::Initial)
            }
            Phase::Idle => {
                let period = i64::from(period_hours) * HOUR;
                if period_hours != 0 && now.saturating_sub(self.last_sync) >= period {
                    self.last_sync = now;
                    return Some(Event::PeriodExceeded);
                }
                None
            }
            Phase::Connecting => {
                let addr = if self.using_backup { backup } else { primary };
                let Some((host, port)) = split_host_port(addr) else {
                    crate::log_error!("ntp: bad server address");
                    self.phase = Phase::Closing;
                    return None;
                };
                match io.connect(host, port) {
                    NetStatus::InProgress => None,
                    NetStatus::Failed(_) => {
                        crate::log_error!("ntp: cannot connect to the server");
                        self.phase = Phase::Closing;
                        None
                    }
                    NetStatus::Done => {
                        let mut n = [0u8; 8];
                        self.nonce = if io.random(&mut n) {
                            u64::from_ne_bytes(n)
                        } else {
                            // Unpredictability is lost, uniqueness is kept.
                            (now as u64) ^ 0x9E37_79B9_7F4A_7C15
                        };
                        if self.nonce == 0 {
                            self.nonce = 1;
                        }
                        self.phase = Phase::Sending;
                        None
                    }
                }
            }
            Phase::Sending => match io.send(&request(self.nonce)) {
                NetStatus::InProgress => None,
                NetStatus::Failed(_) => {
                    crate::log_error!("ntp: cannot send the request");
                    self.phase = Phase::Closing;
                    None
                }
                NetStatus::Done => {
                    self.t1 = now;
                    self.phase = Phase::Waiting;
                    None
                }
            },
            Phase::Waiting => {
                let mut buf = [0u8; MSG_SIZE + 1];
                // A bounded number of datagrams per step: a flood of foreign ones must
                // not keep the step from returning (the rest wait for the next step).
                for _ in 0..8 {
                    match io.recv(&mut buf) {
                        Recv::Datagram(n) => match parse(&buf[..n], self.nonce) {
                            Ok(reply) => {
                                self.result = time_at_t4(reply, self.t1, now);
                                self.synchronized = true;
                                self.phase = Phase::Closing;
                                return None;
                            }
                            Err(Reject::Unusable) => {
                                crate::log_error!("ntp: the server's answer has no usable time");
                                self.phase = Phase::Closing;
                                return None;
                            }
                            Err(Reject::NotOurs) => continue,
                        },
                        Recv::TooBig => continue,
                        Recv::Nothing | Recv::InProgress => break,
                        Recv::Failed(_) => {
                            crate::log_error!("ntp: receive failed");
                            self.phase = Phase::Closing;
                            return None;
                        }
                    }
                }
                if now.saturating_sub(self.t1) >= self.timeout {
                    crate::log_error!("ntp: no answer in time");
                    self.phase = Phase::Closing;
                }
                None
            }
            Phase::Closing => {
                if io.close() == NetStatus::InProgress {
                    return None;
                }
                self.last_sync = now;
                if self.synchronized {
                    self.phase = Phase::Idle;
                    self.sync_error = false;
                    self.last_success = now;
                    return Some(Event::Synchronized(self.result));
                }
                self.attempts += 1;
                if !self.aborted && self.attempts < self.max_attempts {
                    self.phase = Phase::Connecting;
                    return None;
                }
                if !self.aborted && !self.using_backup && !backup.is_empty() {
                    crate::log_warning!("ntp: switching to the backup server");
                    self.using_backup = true;
                    self.attempts = 0;
                    self.phase = Phase::Connecting;
                    return None;
                }
                self.phase = Phase::Idle;
                self.sync_error = true;
                Some(Event::Failed)
            }
        }
    }
}

/// Splits `host`, `host:port` or `[v6-literal]:port` (a bare IPv6 literal has more than
/// one colon and uses the default port).
pub fn split_host_port(addr: &str) -> Option<(&str, &str)> {
    if addr.is_empty() {
        return None;
    }
    if let Some(rest) = addr.strip_prefix('[') {
        let (host, tail) = rest.split_once(']')?;
        return match tail {
            "" => Some((host, NTP_PORT)),
            t => {
                let port = t.strip_prefix(':')?;
                valid_port(port).then_some((host, port))
            }
        };
    }
    match addr.split_once(':') {
        Some((host, port)) if !port.contains(':') => {
            (!host.is_empty() && valid_port(port)).then_some((host, port))
        }
        _ => Some((addr, NTP_PORT)),
    }
}

fn valid_port(p: &str) -> bool {
    !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests;
