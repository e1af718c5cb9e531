//! A short-lived, in-process memory of sessions looked up, so a signed-in person's
//! requests do not each read the sessions table.
//!
//! An entry lives [`SESSION_CACHE_TTL`] at most, is never used after the session's own
//! expiry, and is dropped the moment this process signs the session out or disables its
//! user (or resets their password). A lookup that
//! raced a sign-out cannot put the ended session back: every removal advances an epoch,
//! and an entry is stored only if the epoch is what it was when its lookup began. Another
//! process that ends a session (another server behind the same database) is seen here
//! within [`SESSION_CACHE_TTL`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use onebudget_store::SessionRecord;

/// How long a looked-up session is remembered.
pub const SESSION_CACHE_TTL: Duration = Duration::from_secs(2);

/// How many sessions are remembered before all are forgotten.
const ENTRIES: usize = 16_384;

#[derive(Default)]
pub struct SessionCache(Mutex<Entries>);

#[derive(Default)]
struct Entries {
    by_hash: HashMap<String, (Instant, SessionRecord)>,
    epoch: u64,
}

impl SessionCache {
    /// The remembered session with this token hash, if it was looked up within the TTL
    /// and has not expired at `now` (RFC 3339 UTC, compared as the store compares it).
    pub fn get(&self, hash: &str, now: &str) -> Option<SessionRecord> {
        let entries = self.0.lock().ok()?;
        let (at, session) = entries.by_hash.get(hash)?;
        (at.elapsed() < SESSION_CACHE_TTL && session.expires_at.as_str() > now)
            .then(|| session.clone())
    }

    /// The epoch to pass to [`SessionCache::put`], read before the lookup.
    pub fn epoch(&self) -> u64 {
        self.0.lock().map_or(u64::MAX, |entries| entries.epoch)
    }

    /// Remember a session looked up since `epoch`, unless a session was removed meanwhile.
    pub fn put(&self, hash: String, session: SessionRecord, epoch: u64) {
        if let Ok(mut entries) = self.0.lock()
            && entries.epoch == epoch
        {
            if entries.by_hash.len() >= ENTRIES {
                entries.by_hash.retain(|_, (at, _)| at.elapsed() < SESSION_CACHE_TTL);
                if entries.by_hash.len() >= ENTRIES {
                    entries.by_hash.clear();
                }
            }
            entries.by_hash.insert(hash, (Instant::now(), session));
        }
    }

    /// Forget every session of user `user_id` (they were disabled, or their password was
    /// reset: the store has ended those sessions), and refuse any lookup still in flight.
    pub fn remove_user(&self, user_id: i64) {
        if let Ok(mut entries) = self.0.lock() {
            entries.by_hash.retain(|_, (_, session)| session.user.id != user_id);
            entries.epoch = entries.epoch.wrapping_add(1);
        }
    }

    /// Forget a session (sign-out), and refuse any lookup still in flight.
    pub fn remove(&self, hash: &str) {
        if let Ok(mut entries) = self.0.lock() {
            entries.by_hash.remove(hash);
            entries.epoch = entries.epoch.wrapping_add(1);
        }
    }
}
