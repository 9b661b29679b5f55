//! Rekeying: re-encrypting every stored secret that is not under the current
//! encryption key (see `crate::crypto`) under it, so an operator can remove
//! the older keys from the keyring. `portico admin rekey` runs it through the
//! admin RPC `Rekey`.
//!
//! What is rewritten: the Podio client secret of OAuth clients
//! (`oauth_clients.podio_client_secret_enc`) and the Podio client secret,
//! access and refresh tokens of upstream credentials
//! (`upstream_credentials.*_enc`), each with the associated data it was
//! written with. Records are walked in pages by id, and each is written back
//! only if it is unchanged since it was read: upstream credentials by their
//! `version` (which the write bumps, as a Podio token refresh does), clients
//! by the old ciphertext's bytes. A write lost to a concurrent writer (a
//! refresh, which writes under the current key anyway) reads the record again
//! and tries once more; lost twice, its fields are counted `contended` and
//! left for the next run.
//!
//! A secret no key decrypts (its key was removed, or the bytes are damaged)
//! is counted `undecryptable` and left exactly as it is: rekeying never
//! deletes anything. Plaintexts exist only in memory, wiped after use, and
//! are never logged.
//!
//! Not rewritten: sign-ins in flight, kept in the pending store (Redis) for
//! minutes only; a direct-mode sign-in's Podio code (`podio_code_enc`) is
//! encrypted there. They expire on their own, so waiting out
//! [`super::OAuthSettings::pending_ttl`] once every replica encrypts under
//! the new key is enough before an old key goes.

use zeroize::Zeroizing;

use super::OAuth;
use super::authorize::upstream_aad;
use super::register::client_secret_aad;
use crate::crypto::Keyring;
use crate::error::AuthError;
use crate::service::AuthService;
use crate::store::{ClientRecord, StoreError, UpstreamCiphertexts, UpstreamRecord};

/// Records read per page: small enough that a page is quick, large enough
/// that a large table is few round trips.
const PAGE: u32 = 100;
/// How many writes one record gets: the first, and one retry after a lost
/// compare-and-swap (bounded, so a record refreshed constantly cannot hold
/// the run up; it is counted `contended`).
const ATTEMPTS: usize = 2;

/// [`RekeyCounts::kind`] of OAuth clients' Podio client secrets.
pub const CLIENT_PODIO_SECRET: &str = "oauth_client.podio_client_secret";
/// [`RekeyCounts::kind`] of upstream credentials' Podio client secrets.
pub const UPSTREAM_PODIO_SECRET: &str = "upstream.podio_client_secret";
/// [`RekeyCounts::kind`] of upstream Podio access tokens.
pub const UPSTREAM_ACCESS_TOKEN: &str = "upstream.access_token";
/// [`RekeyCounts::kind`] of upstream Podio refresh tokens.
pub const UPSTREAM_REFRESH_TOKEN: &str = "upstream.refresh_token";

/// What a rekey found for one kind of stored secret. `examined` is the sum
/// of the other four.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RekeyCounts {
    /// Which secret, e.g. [`UPSTREAM_ACCESS_TOKEN`].
    pub kind: &'static str,
    /// Stored secrets of this kind looked at (absent ones are not counted).
    pub examined: u64,
    /// Re-encrypted under the current key (in a dry run: would be).
    pub rewrapped: u64,
    /// Already under the current key.
    pub already_current: u64,
    /// Decrypted by no key; left as they are.
    pub undecryptable: u64,
    /// Changed by another writer on both attempts; left for the next run.
    pub contended: u64,
}

impl RekeyCounts {
    fn new(kind: &'static str) -> RekeyCounts {
        RekeyCounts {
            kind,
            examined: 0,
            rewrapped: 0,
            already_current: 0,
            undecryptable: 0,
            contended: 0,
        }
    }

    /// Counts one field by its plan; `written` says whether the record's
    /// write went through (always, in a dry run).
    fn count(&mut self, plan: &Plan, written: bool) {
        self.examined += 1;
        match plan {
            Plan::Current => self.already_current += 1,
            Plan::Undecryptable => self.undecryptable += 1,
            Plan::Rewrap(_) if written => self.rewrapped += 1,
            Plan::Rewrap(_) => self.contended += 1,
        }
    }
}

/// What [`AuthService::rekey_secrets`] did, or in a dry run would do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RekeyReport {
    /// The key every rewritten secret is under.
    pub current_key_id: String,
    /// Nothing was written.
    pub dry_run: bool,
    /// Every kind, always in the same order: [`CLIENT_PODIO_SECRET`],
    /// [`UPSTREAM_PODIO_SECRET`], [`UPSTREAM_ACCESS_TOKEN`],
    /// [`UPSTREAM_REFRESH_TOKEN`].
    pub kinds: Vec<RekeyCounts>,
}

impl RekeyReport {
    /// Secrets rewrapped (or that would be), all kinds together.
    pub fn rewrapped(&self) -> u64 {
        self.kinds.iter().map(|k| k.rewrapped).sum()
    }

    /// Secrets already under the current key, all kinds together.
    pub fn already_current(&self) -> u64 {
        self.kinds.iter().map(|k| k.already_current).sum()
    }

    /// Secrets no key decrypts, all kinds together.
    pub fn undecryptable(&self) -> u64 {
        self.kinds.iter().map(|k| k.undecryptable).sum()
    }

    /// Secrets left because another writer kept changing them.
    pub fn contended(&self) -> u64 {
        self.kinds.iter().map(|k| k.contended).sum()
    }

    /// One line for the log and the audit event: `ok: …` when nothing is
    /// left under another key, `incomplete: …` otherwise.
    pub fn summary(&self) -> String {
        let verdict = if self.undecryptable() == 0 && self.contended() == 0 {
            "ok"
        } else {
            "incomplete"
        };
        format!(
            "{verdict}: {} rewrapped, {} already current, {} undecryptable, {} contended",
            self.rewrapped(),
            self.already_current(),
            self.undecryptable(),
            self.contended()
        )
    }
}

/// What one encrypted field needs.
enum Plan {
    /// Under the current key already.
    Current,
    /// No key decrypts it: keep it.
    Undecryptable,
    /// Its new ciphertext, under the current key.
    Rewrap(Vec<u8>),
}

impl Plan {
    /// Decrypts `ciphertext` (bound to `aad`) and encrypts it under the
    /// current key, unless it is under that key already. `kind` and `id` only
    /// name the field in the log.
    fn of(
        keyring: &Keyring,
        ciphertext: &[u8],
        aad: &str,
        kind: &str,
        id: &str,
    ) -> Result<Plan, AuthError> {
        if !keyring.needs_rewrap(ciphertext) {
            return Ok(Plan::Current);
        }
        let plaintext = match keyring.decrypt(ciphertext, aad.as_bytes()) {
            Ok(plaintext) => Zeroizing::new(plaintext),
            Err(err) => {
                // The error names a key id at most, never key or secret bytes.
                tracing::warn!(
                    kind,
                    record = id,
                    error = %err,
                    "a stored secret cannot be decrypted by any key; left as it is"
                );
                return Ok(Plan::Undecryptable);
            }
        };
        keyring
            .encrypt(&plaintext, aad.as_bytes())
            .map(Plan::Rewrap)
            .map_err(|e| AuthError::Store(StoreError::Internal(e.to_string())))
    }

    fn rewraps(&self) -> bool {
        matches!(self, Plan::Rewrap(_))
    }

    /// The ciphertext to store: the new one, or `old` unchanged.
    fn ciphertext(&self, old: &[u8]) -> Vec<u8> {
        match self {
            Plan::Rewrap(new) => new.clone(),
            Plan::Current | Plan::Undecryptable => old.to_vec(),
        }
    }
}

/// The counts of a run, one per kind.
struct Tally {
    client_secret: RekeyCounts,
    upstream_secret: RekeyCounts,
    access: RekeyCounts,
    refresh: RekeyCounts,
}

impl AuthService {
    /// Re-encrypts every stored secret not under the current key (see the
    /// module documentation); with `dry_run`, only counts. A real run is
    /// recorded in the audit log as `encryption.rekey`, its counts in the
    /// outcome. Safe to run again, and alongside serving replicas; a store
    /// failure stops the run with what was rewritten so far kept.
    pub async fn rekey_secrets(&self, dry_run: bool) -> Result<RekeyReport, AuthError> {
        let oauth = self.oauth().ok_or(AuthError::OAuthDisabled)?;
        let mut tally = Tally {
            client_secret: RekeyCounts::new(CLIENT_PODIO_SECRET),
            upstream_secret: RekeyCounts::new(UPSTREAM_PODIO_SECRET),
            access: RekeyCounts::new(UPSTREAM_ACCESS_TOKEN),
            refresh: RekeyCounts::new(UPSTREAM_REFRESH_TOKEN),
        };

        let mut after = String::new();
        loop {
            let page = oauth.store.clients_after(&after, PAGE).await?;
            let full = page.len() >= PAGE as usize;
            for client in page {
                after.clone_from(&client.client_id);
                rekey_client(oauth, client, dry_run, &mut tally.client_secret).await?;
            }
            if !full {
                break;
            }
        }

        let mut after = String::new();
        loop {
            let page = oauth.store.upstreams_after(&after, PAGE).await?;
            let full = page.len() >= PAGE as usize;
            for upstream in page {
                after.clone_from(&upstream.id);
                rekey_upstream(oauth, upstream, dry_run, &mut tally).await?;
            }
            if !full {
                break;
            }
        }

        let report = RekeyReport {
            current_key_id: oauth.keyring.current_key_id().to_owned(),
            dry_run,
            kinds: vec![
                tally.client_secret,
                tally.upstream_secret,
                tally.access,
                tally.refresh,
            ],
        };
        let summary = report.summary();
        tracing::info!(
            dry_run,
            current_key = %report.current_key_id,
            %summary,
            "stored secrets rekeyed"
        );
        if !dry_run {
            self.audit_admin_outcome(
                "encryption.rekey",
                &format!("encryption_key:{}", report.current_key_id),
                &summary,
            )
            .await;
        }
        Ok(report)
    }
}

/// Rewraps one client's Podio secret, if it has one.
async fn rekey_client(
    oauth: &OAuth,
    mut client: ClientRecord,
    dry_run: bool,
    counts: &mut RekeyCounts,
) -> Result<(), AuthError> {
    for attempt in 1..=ATTEMPTS {
        let Some(old) = client.podio_client_secret_enc.as_deref() else {
            return Ok(());
        };
        let aad = client_secret_aad(&client.client_id);
        let plan = Plan::of(
            &oauth.keyring,
            old,
            &aad,
            CLIENT_PODIO_SECRET,
            &client.client_id,
        )?;
        let written = match &plan {
            Plan::Rewrap(new) if !dry_run => {
                oauth
                    .store
                    .replace_client_secret_enc(&client.client_id, old, new)
                    .await?
            }
            _ => true,
        };
        if written || attempt == ATTEMPTS {
            counts.count(&plan, written);
            return Ok(());
        }
        // The secret changed since it was read: judge it again as it is now.
        match oauth.store.client(&client.client_id).await? {
            Some(now) => client = now,
            None => return Ok(()),
        }
    }
    Ok(())
}

/// Rewraps one upstream credential's secrets, in one write.
async fn rekey_upstream(
    oauth: &OAuth,
    mut record: UpstreamRecord,
    dry_run: bool,
    tally: &mut Tally,
) -> Result<(), AuthError> {
    for attempt in 1..=ATTEMPTS {
        let plan_of = |ciphertext: &[u8], column: &str, kind: &str| {
            Plan::of(
                &oauth.keyring,
                ciphertext,
                &upstream_aad(&record.id, column),
                kind,
                &record.id,
            )
        };
        let secret = record
            .podio_client_secret_enc
            .as_deref()
            .map(|enc| plan_of(enc, "podio_client_secret_enc", UPSTREAM_PODIO_SECRET))
            .transpose()?;
        let access = plan_of(
            &record.access_token_enc,
            "access_token_enc",
            UPSTREAM_ACCESS_TOKEN,
        )?;
        let refresh = plan_of(
            &record.refresh_token_enc,
            "refresh_token_enc",
            UPSTREAM_REFRESH_TOKEN,
        )?;
        let rewraps =
            secret.as_ref().is_some_and(Plan::rewraps) || access.rewraps() || refresh.rewraps();
        let written = if rewraps && !dry_run {
            let ciphertexts = UpstreamCiphertexts {
                podio_client_secret_enc: match (&secret, &record.podio_client_secret_enc) {
                    (Some(plan), Some(old)) => Some(plan.ciphertext(old)),
                    _ => None,
                },
                access_token_enc: access.ciphertext(&record.access_token_enc),
                refresh_token_enc: refresh.ciphertext(&record.refresh_token_enc),
            };
            oauth
                .store
                .replace_upstream_ciphertexts(&record.id, record.version, &ciphertexts)
                .await?
        } else {
            true
        };
        if written || attempt == ATTEMPTS {
            if let Some(plan) = &secret {
                tally.upstream_secret.count(plan, written);
            }
            tally.access.count(&access, written);
            tally.refresh.count(&refresh, written);
            return Ok(());
        }
        // Lost to a concurrent writer, most likely a token refresh: what it
        // wrote stands (under the current key already); judge the record
        // again as it is now.
        match oauth.store.upstream(&record.id).await? {
            Some(now) => record = now,
            None => return Ok(()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(undecryptable: u64, contended: u64) -> RekeyReport {
        let mut counts = RekeyCounts::new(UPSTREAM_ACCESS_TOKEN);
        counts.examined = 3 + undecryptable + contended;
        counts.rewrapped = 2;
        counts.already_current = 1;
        counts.undecryptable = undecryptable;
        counts.contended = contended;
        RekeyReport {
            current_key_id: "k2".to_owned(),
            dry_run: false,
            kinds: vec![RekeyCounts::new(CLIENT_PODIO_SECRET), counts],
        }
    }

    #[test]
    fn the_summary_says_whether_anything_is_left() {
        assert_eq!(
            report(0, 0).summary(),
            "ok: 2 rewrapped, 1 already current, 0 undecryptable, 0 contended"
        );
        assert!(report(1, 0).summary().starts_with("incomplete: "));
        assert!(report(0, 1).summary().starts_with("incomplete: "));
    }

    #[test]
    fn fields_are_planned_by_their_key() {
        let old = Keyring::parse("a:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").expect("old");
        let both = Keyring::parse(
            "b:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=,a:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        )
        .expect("both");
        let under_a = old.encrypt(b"secret", b"row:1").expect("encrypt");
        let Ok(Plan::Rewrap(new)) = Plan::of(&both, &under_a, "row:1", "k", "1") else {
            panic!("a ciphertext under the old key is rewrapped");
        };
        assert!(!both.needs_rewrap(&new));
        assert_eq!(
            both.decrypt(&new, b"row:1").ok().as_deref(),
            Some(&b"secret"[..])
        );
        assert!(matches!(
            Plan::of(&both, &new, "row:1", "k", "1"),
            Ok(Plan::Current)
        ));
        // Bound to another row, or not a ciphertext at all: kept.
        for bad in [&under_a[..], &b"garbage"[..]] {
            assert!(matches!(
                Plan::of(&both, bad, "row:2", "k", "1"),
                Ok(Plan::Undecryptable)
            ));
        }
    }
}
