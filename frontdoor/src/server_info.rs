//! What the auth service says this server offers (OAuth sign-in on or off,
//! the credential modes, admin), asked at most every few seconds and
//! remembered, so `/health` and the metadata documents tell the truth
//! without putting the auth service on every probe's path.

use std::sync::Mutex;
use std::time::Duration;

use portico_proto::auth::OAuthEndpoints;
use portico_proto::auth::v1::ServerInfo;
use tokio::time::Instant;

/// How long an answer is reused. Configuration changes only on a restart of
/// the auth service, so a few seconds is fresh enough.
const FRESH_FOR: Duration = Duration::from_secs(10);
/// Bound on one question, so a hung auth service cannot hang `/health`.
const ASK_TIMEOUT: Duration = Duration::from_secs(1);

/// The last answer and when it was fetched.
#[derive(Default)]
pub(crate) struct ServerInfoCache {
    last: Mutex<Option<(Instant, ServerInfo)>>,
}

impl ServerInfoCache {
    /// The server's offer: a fresh answer, else the last one known, else
    /// `None` when the auth service has never answered.
    pub(crate) async fn get(&self, oauth: &dyn OAuthEndpoints) -> Option<ServerInfo> {
        let known = self.last.lock().ok().and_then(|last| last.clone());
        if let Some((at, info)) = &known
            && at.elapsed() < FRESH_FOR
        {
            return Some(info.clone());
        }
        match tokio::time::timeout(ASK_TIMEOUT, oauth.server_info()).await {
            Ok(Ok(info)) => {
                if let Ok(mut last) = self.last.lock() {
                    *last = Some((Instant::now(), info.clone()));
                }
                Some(info)
            }
            Ok(Err(err)) => {
                tracing::debug!(
                    code = err.code.as_str(),
                    "auth service did not say what it offers"
                );
                known.map(|(_, info)| info)
            }
            Err(_) => known.map(|(_, info)| info),
        }
    }
}
