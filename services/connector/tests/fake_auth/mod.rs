//! A fake of the auth service's `UpstreamTokens` face, the seam the connector
//! holds: it hands out "token-1", "token-2", … in order, records every call
//! (with the `rejected` hash) and can be told to fail with a `ServiceError`.

use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use portico_connector::{Secret, UpstreamRef, UpstreamToken, UpstreamTokens};
use portico_proto::error::ServiceError;

pub struct FakeAuth {
    /// Every call: (upstream, rejected).
    pub calls: Mutex<Vec<(UpstreamRef, Option<String>)>>,
    /// Seconds from now until an issued token expires (negative: already expired).
    pub lifetime: AtomicI64,
    /// When set, every call fails with it.
    pub fail_with: Mutex<Option<ServiceError>>,
    issued: AtomicUsize,
}

impl Default for FakeAuth {
    fn default() -> Self {
        Self {
            calls: Mutex::default(),
            lifetime: AtomicI64::new(28_800),
            fail_with: Mutex::default(),
            issued: AtomicUsize::new(0),
        }
    }
}

impl FakeAuth {
    pub fn hits(&self) -> usize {
        self.calls.lock().expect("lock").len()
    }

    pub fn calls(&self) -> Vec<(UpstreamRef, Option<String>)> {
        self.calls.lock().expect("lock").clone()
    }

    pub fn fail_with(&self, error: Option<ServiceError>) {
        *self.fail_with.lock().expect("lock") = error;
    }
}

#[async_trait::async_trait]
impl UpstreamTokens for FakeAuth {
    async fn upstream_token(
        &self,
        upstream: &UpstreamRef,
        rejected: Option<&str>,
    ) -> Result<UpstreamToken, ServiceError> {
        self.calls
            .lock()
            .expect("lock")
            .push((upstream.clone(), rejected.map(str::to_owned)));
        if let Some(error) = self.fail_with.lock().expect("lock").clone() {
            return Err(error);
        }
        let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock")
            .as_secs() as i64;
        Ok(UpstreamToken {
            access_token: Secret::new(format!("token-{n}")),
            expires_at: now + self.lifetime.load(Ordering::SeqCst),
        })
    }
}
