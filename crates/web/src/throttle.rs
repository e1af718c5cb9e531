//! Sign-in throttling: how many passwords one client may try, counted in memory under one
//! lock so that concurrent attempts cannot all slip under the limit.
//!
//! Two counts, so that guessing is slow but nobody can lock someone else out at will:
//!
//! - **Per user name and client address.** After [`ThrottleSettings::pair_failures`]
//!   failures, that pair waits [`ThrottleSettings::first_wait`] from its last failure, and
//!   the wait doubles with every further failure, up to [`ThrottleSettings::max_wait`]. The
//!   same user signing in from another address is not held up, so an attacker who knows
//!   the administrator's user name cannot keep the administrator out.
//! - **Per client address, across user names.** After
//!   [`ThrottleSettings::address_failures`] failures within [`ThrottleSettings::window`],
//!   the address may try no user name until the window has passed. This stops one address
//!   trying a few passwords against every user. (IPv6 addresses are counted by their /64,
//!   which one subscriber usually holds whole.)
//!
//! [`Throttle::begin`] decides and counts in one step: an attempt it lets through is
//! counted as a failure straight away and [`Attempt::succeeded`] takes it back, so of 20
//! concurrent wrong guesses against a limit of 5, exactly 5 reach the password check. A
//! success forgets the pair's failures. A pair's count is forgotten `window` after its
//! wait ends with no new failure. The counts live in this process only: a restart forgets
//! them, and each of several server processes counts on its own.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How hard sign-in is throttled. Settings of `onebudget serve` (see the README).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThrottleSettings {
    /// Failures for one user name from one address before that pair has to wait.
    pub pair_failures: u32,
    /// The first wait; each further failure doubles it.
    pub first_wait: Duration,
    /// The longest wait.
    pub max_wait: Duration,
    /// Failures from one address, across user names, within `window`, after which that
    /// address may not try again until the window has passed.
    pub address_failures: u32,
    /// The window failures from one address are counted in, and how long a pair's
    /// failures are remembered after its wait.
    pub window: Duration,
}

impl Default for ThrottleSettings {
    fn default() -> ThrottleSettings {
        ThrottleSettings {
            pair_failures: 5,
            first_wait: Duration::from_secs(60),
            max_wait: Duration::from_secs(15 * 60),
            address_failures: 30,
            window: Duration::from_secs(15 * 60),
        }
    }
}

/// Why an attempt may not go ahead, and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wait {
    /// How long until an attempt will be let through.
    pub remaining: Duration,
    /// `true` when the address as a whole is held back (many user names tried), `false`
    /// when it is this user name from this address.
    pub whole_address: bool,
}

impl Wait {
    /// The wait in words: "45 seconds", "1 minute", "14 minutes" (rounded up).
    pub fn in_words(&self) -> String {
        let seconds = self.remaining.as_secs() + u64::from(self.remaining.subsec_nanos() > 0);
        if seconds < 60 {
            let seconds = seconds.max(1);
            return format!("{seconds} second{}", if seconds == 1 { "" } else { "s" });
        }
        let minutes = seconds.div_ceil(60);
        format!("{minutes} minute{}", if minutes == 1 { "" } else { "s" })
    }

    /// Whole seconds, rounded up, for a `Retry-After` header.
    pub fn retry_after_seconds(&self) -> u64 {
        (self.remaining.as_secs() + u64::from(self.remaining.subsec_nanos() > 0)).max(1)
    }
}

#[derive(Debug)]
struct PairState {
    failures: u32,
    last_failure: Instant,
}

#[derive(Debug)]
struct AddressState {
    window_start: Instant,
    failures: u32,
}

#[derive(Debug, Default)]
struct Counts {
    pairs: HashMap<(String, IpAddr), PairState>,
    addresses: HashMap<IpAddr, AddressState>,
}

/// The counts of failed sign-ins. One per server process, shared by every request.
#[derive(Debug)]
pub struct Throttle {
    settings: ThrottleSettings,
    counts: Mutex<Counts>,
}

/// Pairs and addresses remembered at most; past this, those whose waits are long over are
/// forgotten first, then the oldest.
const MAX_ENTRIES: usize = 100_000;

/// The address counted for `address`: itself, or for IPv6 its /64 network.
fn counted(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(std::net::Ipv6Addr::from(bits))
            }
        },
    }
}

impl Throttle {
    pub fn new(settings: ThrottleSettings) -> Throttle {
        Throttle { settings, counts: Mutex::default() }
    }

    pub fn settings(&self) -> &ThrottleSettings {
        &self.settings
    }

    /// The wait a pair with `failures` failures serves after its last one.
    fn pair_wait(&self, failures: u32) -> Duration {
        if failures < self.settings.pair_failures {
            return Duration::ZERO;
        }
        let doublings = (failures - self.settings.pair_failures).min(30);
        self.settings.first_wait.saturating_mul(1u32 << doublings).min(self.settings.max_wait)
    }

    /// May `username` try a password from `address` now? If so the attempt is counted as a
    /// failure at once (so that attempts running at the same time see it) and the returned
    /// [`Attempt`] says how it ended; if not, how long to wait.
    pub fn begin(
        self: &Arc<Self>,
        username: &str,
        address: IpAddr,
        now: Instant,
    ) -> Result<Attempt, Wait> {
        let address = counted(address);
        let key = (username.to_owned(), address);
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        if counts.pairs.len() + counts.addresses.len() > MAX_ENTRIES {
            self.forget_old(&mut counts, now);
        }
        let settings = &self.settings;
        if let Some(state) = counts.addresses.get_mut(&address) {
            let window_end = state.window_start + settings.window;
            if now >= window_end {
                *state = AddressState { window_start: now, failures: 0 };
            } else if state.failures >= settings.address_failures {
                return Err(Wait { remaining: window_end - now, whole_address: true });
            }
        }
        if let Some(state) = counts.pairs.get(&key) {
            let wait_end = state.last_failure + self.pair_wait(state.failures);
            if now < wait_end {
                return Err(Wait { remaining: wait_end - now, whole_address: false });
            }
            if now >= wait_end + settings.window {
                counts.pairs.remove(&key);
            }
        }
        let pair =
            counts.pairs.entry(key.clone()).or_insert(PairState { failures: 0, last_failure: now });
        pair.failures = pair.failures.saturating_add(1);
        pair.last_failure = now;
        let address_state = counts
            .addresses
            .entry(address)
            .or_insert(AddressState { window_start: now, failures: 0 });
        address_state.failures = address_state.failures.saturating_add(1);
        Ok(Attempt { throttle: self.clone(), key })
    }

    /// Forget entries whose waits and windows are over; if that is not enough, the oldest.
    fn forget_old(&self, counts: &mut Counts, now: Instant) {
        let window = self.settings.window;
        let max_wait = self.settings.max_wait;
        counts.pairs.retain(|_, state| now < state.last_failure + max_wait + window);
        counts.addresses.retain(|_, state| now < state.window_start + window);
        if counts.pairs.len() > MAX_ENTRIES / 2 {
            let mut times: Vec<Instant> = counts.pairs.values().map(|s| s.last_failure).collect();
            times.sort_unstable();
            if let Some(&cut) = times.get(times.len() / 2) {
                counts.pairs.retain(|_, state| state.last_failure >= cut);
            }
        }
        if counts.addresses.len() > MAX_ENTRIES / 2 {
            let mut times: Vec<Instant> =
                counts.addresses.values().map(|s| s.window_start).collect();
            times.sort_unstable();
            if let Some(&cut) = times.get(times.len() / 2) {
                counts.addresses.retain(|_, state| state.window_start >= cut);
            }
        }
    }

    fn succeeded(&self, key: &(String, IpAddr)) {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        counts.pairs.remove(key);
        if let Some(state) = counts.addresses.get_mut(&key.1) {
            state.failures = state.failures.saturating_sub(1);
        }
    }
}

/// One attempt let through by [`Throttle::begin`], counted as a failure unless
/// [`Attempt::succeeded`] is called.
#[derive(Debug)]
pub struct Attempt {
    throttle: Arc<Throttle>,
    key: (String, IpAddr),
}

impl Attempt {
    /// The password was right: forget this pair's failures, and take this attempt off the
    /// address's count.
    pub fn succeeded(self) {
        self.throttle.succeeded(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle() -> Arc<Throttle> {
        Arc::new(Throttle::new(ThrottleSettings {
            pair_failures: 3,
            first_wait: Duration::from_secs(60),
            max_wait: Duration::from_secs(600),
            address_failures: 10,
            window: Duration::from_secs(900),
        }))
    }

    const ATTACKER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 9));
    const ADMIN_DESK: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, 4));

    #[test]
    fn a_pair_waits_longer_after_each_failure_past_the_limit() {
        let throttle = throttle();
        let start = Instant::now();
        for _ in 0..3 {
            assert!(throttle.begin("admin", ATTACKER, start).is_ok());
        }
        let wait = throttle.begin("admin", ATTACKER, start).unwrap_err();
        assert_eq!(wait, Wait { remaining: Duration::from_secs(60), whole_address: false });
        // After the first wait, one more try; then the wait doubles.
        let later = start + Duration::from_secs(60);
        assert!(throttle.begin("admin", ATTACKER, later).is_ok());
        let wait = throttle.begin("admin", ATTACKER, later).unwrap_err();
        assert_eq!(wait.remaining, Duration::from_secs(120));
        let later = later + Duration::from_secs(120);
        assert!(throttle.begin("admin", ATTACKER, later).is_ok());
        assert_eq!(
            throttle.begin("admin", ATTACKER, later).unwrap_err().remaining,
            Duration::from_secs(240)
        );
    }

    #[test]
    fn the_wait_stops_growing_at_the_most() {
        let throttle = throttle();
        let mut now = Instant::now();
        let mut tried = 0;
        while tried < 15 {
            match throttle.begin("admin", ATTACKER, now) {
                Ok(_) => tried += 1,
                Err(wait) => now += wait.remaining,
            }
        }
        let wait = throttle.begin("admin", ATTACKER, now).unwrap_err();
        assert_eq!(wait.remaining, Duration::from_secs(600));
    }

    #[test]
    fn an_attacker_cannot_keep_the_user_out_from_elsewhere() {
        let throttle = throttle();
        let now = Instant::now();
        for _ in 0..3 {
            let _ = throttle.begin("admin", ATTACKER, now);
        }
        assert!(throttle.begin("admin", ATTACKER, now).is_err());
        let attempt = throttle.begin("admin", ADMIN_DESK, now).expect("the admin's own desk");
        attempt.succeeded();
        assert!(throttle.begin("admin", ATTACKER, now).is_err(), "the attacker still waits");
    }

    #[test]
    fn an_address_trying_many_user_names_is_held_back() {
        let throttle = throttle();
        let now = Instant::now();
        for n in 0..10 {
            assert!(throttle.begin(&format!("user{n}"), ATTACKER, now).is_ok());
        }
        let wait = throttle.begin("someone-else", ATTACKER, now).unwrap_err();
        assert!(wait.whole_address);
        assert_eq!(wait.remaining, Duration::from_secs(900));
        assert!(throttle.begin("someone-else", ADMIN_DESK, now).is_ok());
        let after = now + Duration::from_secs(900);
        assert!(throttle.begin("someone-else", ATTACKER, after).is_ok());
    }

    #[test]
    fn a_success_forgets_the_pairs_failures() {
        let throttle = throttle();
        let now = Instant::now();
        for _ in 0..2 {
            let _ = throttle.begin("citizen", ADMIN_DESK, now);
        }
        throttle.begin("citizen", ADMIN_DESK, now).expect("third try").succeeded();
        for _ in 0..3 {
            assert!(throttle.begin("citizen", ADMIN_DESK, now).is_ok());
        }
    }

    #[test]
    fn ipv6_addresses_count_by_their_network() {
        let one: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let other: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        assert_eq!(counted(one), counted(other));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(counted(mapped), "192.0.2.7".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn waits_read_as_words() {
        let wait =
            |secs: f64| Wait { remaining: Duration::from_secs_f64(secs), whole_address: false };
        assert_eq!(wait(0.2).in_words(), "1 second");
        assert_eq!(wait(44.5).in_words(), "45 seconds");
        assert_eq!(wait(60.0).in_words(), "1 minute");
        assert_eq!(wait(61.0).in_words(), "2 minutes");
        assert_eq!(wait(44.5).retry_after_seconds(), 45);
    }
}
