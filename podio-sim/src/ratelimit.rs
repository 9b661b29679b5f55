//! Podio's hourly call budget, counted per access token in fixed one-hour
//! windows that start with a token's first call.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

/// Length of a rate-limit window.
pub const WINDOW: Duration = Duration::from_secs(3600);
/// Above this many tracked tokens, finished windows are dropped.
const PRUNE_ABOVE: usize = 1024;

/// The outcome of counting one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The call is allowed; this many remain in the window.
    Allowed {
        /// Calls left after this one.
        remaining: u32,
    },
    /// The budget is spent; the window ends in this many seconds.
    Limited {
        /// Whole seconds until the window ends (at least 1).
        wait_secs: u64,
    },
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    used: u32,
}

/// Call counters per token.
#[derive(Debug)]
pub struct RateLimiter {
    limit: u32,
    windows: HashMap<String, Window>,
}

impl RateLimiter {
    /// A limiter allowing `limit` calls per token per hour.
    pub fn new(limit: u32) -> Self {
        RateLimiter {
            limit,
            windows: HashMap::new(),
        }
    }

    /// The ceiling reported in `X-Rate-Limit-Limit`.
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// Counts one call by `token` at `now`.
    pub fn hit(&mut self, token: &str, now: Instant) -> Verdict {
        if self.windows.len() > PRUNE_ABOVE {
            self.windows.retain(|_, w| now < w.started + WINDOW);
        }
        let window = self.windows.entry(token.to_owned()).or_insert(Window {
            started: now,
            used: 0,
        });
        if now >= window.started + WINDOW {
            *window = Window {
                started: now,
                used: 0,
            };
        }
        if window.used >= self.limit {
            let left = (window.started + WINDOW).saturating_duration_since(now);
            // Round up so "wait N seconds" is never too short.
            let wait_secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
            return Verdict::Limited {
                wait_secs: wait_secs.max(1),
            };
        }
        window.used += 1;
        Verdict::Allowed {
            remaining: self.limit - window.used,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_is_per_token_and_resets_after_the_window() {
        let mut limiter = RateLimiter::new(2);
        let t0 = Instant::now();
        assert_eq!(limiter.hit("a", t0), Verdict::Allowed { remaining: 1 });
        assert_eq!(limiter.hit("a", t0), Verdict::Allowed { remaining: 0 });
        assert_eq!(
            limiter.hit("a", t0 + Duration::from_secs(600)),
            Verdict::Limited { wait_secs: 3000 }
        );
        assert_eq!(limiter.hit("b", t0), Verdict::Allowed { remaining: 1 });
        assert_eq!(
            limiter.hit("a", t0 + WINDOW),
            Verdict::Allowed { remaining: 1 }
        );
    }
}
