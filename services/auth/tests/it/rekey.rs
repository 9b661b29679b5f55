//! Rekeying the stored secrets (the admin RPC `Rekey`,
//! `AuthService::rekey_secrets`): once a key is put in front, every stored
//! Podio secret and token moves under it, so the old key can go; what no key
//! decrypts is counted and left as it is; a dry run writes nothing; a token
//! refresh racing the rekey is never overwritten, and a refresh that loses
//! to a rekey still keeps the tokens Podio issued.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use podio_sim::seed;
use portico_auth::{
    AuditFilter, AuthService, CLIENT_PODIO_SECRET, ClientKind, ClientRecord, CodeRecord, CodeUse,
    GrantRecord, Keyring, MemoryOAuthStore, MemoryTokenStore, OAuthStore, RekeyReport, StoreError,
    TokenRecord, UPSTREAM_ACCESS_TOKEN, UPSTREAM_PODIO_SECRET, UPSTREAM_REFRESH_TOKEN,
    UpstreamCiphertexts, UpstreamRecord,
};
use portico_proto::auth::v1::auth_server::Auth;
use portico_proto::auth::v1::{AuditEvent, RekeyRequest};
use portico_proto::auth::{UpstreamRef, UpstreamTokens};
use portico_proto::vocab::CredentialMode;
use sha2::{Digest as _, Sha256};
use tokio_util::sync::CancellationToken;
use tonic::{Code, Request};

use crate::oauth_flow::{CLAUDE, Harness, JANE, spawn_sim, token_json};
use crate::support::{ADMIN, admin, with_pg_store};

const KEY_A: &str = "a:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const KEY_B: &str = "b:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";
/// A key no service under test holds.
const KEY_Z: &str = "z:QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8=";
/// Every kind a report lists, in its order.
const KINDS: [&str; 4] = [
    CLIENT_PODIO_SECRET,
    UPSTREAM_PODIO_SECRET,
    UPSTREAM_ACCESS_TOKEN,
    UPSTREAM_REFRESH_TOKEN,
];
/// Far in the future, so a stored Podio token is used without renewal.
const LATER: i64 = 4_000_000_000;

fn keyring(keys: &str) -> Keyring {
    Keyring::parse(keys).expect("keys")
}

/// The associated data the service binds each secret to (the tests write
/// records directly, as an older release or another replica would have).
fn client_aad(client_id: &str) -> String {
    format!("oauth_clients:{client_id}:podio_client_secret_enc")
}

fn upstream_aad(id: &str, column: &str) -> String {
    format!("oauth_upstreams:{id}:{column}")
}

fn seal(keys: &Keyring, plaintext: &str, aad: &str) -> Vec<u8> {
    keys.encrypt(plaintext.as_bytes(), aad.as_bytes())
        .expect("encrypt")
}

fn open(keys: &Keyring, ciphertext: &[u8], aad: &str) -> String {
    String::from_utf8(keys.decrypt(ciphertext, aad.as_bytes()).expect("decrypt")).expect("utf-8")
}

/// `[examined, rewrapped, already current, undecryptable, contended]` of
/// `kind`.
fn counts(report: &RekeyReport, kind: &str) -> [u64; 5] {
    let c = report
        .kinds
        .iter()
        .find(|k| k.kind == kind)
        .unwrap_or_else(|| panic!("no {kind} in {report:?}"));
    [
        c.examined,
        c.rewrapped,
        c.already_current,
        c.undecryptable,
        c.contended,
    ]
}

fn client_with_secret(client_id: &str, secret_enc: Option<Vec<u8>>) -> ClientRecord {
    ClientRecord {
        client_id: client_id.to_owned(),
        kind: ClientKind::Registered,
        name: format!("client {client_id}"),
        redirect_uris: vec![CLAUDE.to_owned()],
        grant_types: vec!["authorization_code".to_owned(), "refresh_token".to_owned()],
        token_endpoint_auth_method: "none".to_owned(),
        secret_hash: None,
        secret_hint: None,
        owner_subject: None,
        scopes: vec!["podio:read".to_owned()],
        podio_client_id: secret_enc.as_ref().map(|_| "their-podio-key".to_owned()),
        podio_client_secret_enc: secret_enc,
        metadata_json: "{}".to_owned(),
        created_at: 100,
        revoked_at: None,
    }
}

/// Direct-mode upstream credentials `id` of `podio:7`, sealed with `keys`.
fn upstream_under(keys: &Keyring, id: &str) -> UpstreamRecord {
    UpstreamRecord {
        id: id.to_owned(),
        subject: "podio:7".to_owned(),
        podio_user_id: 7,
        podio_client_id: "their-podio-key".to_owned(),
        podio_client_secret_enc: Some(seal(
            keys,
            "podio-secret",
            &upstream_aad(id, "podio_client_secret_enc"),
        )),
        access_token_enc: seal(keys, "access-old", &upstream_aad(id, "access_token_enc")),
        refresh_token_enc: seal(keys, "refresh-old", &upstream_aad(id, "refresh_token_enc")),
        expires_at: LATER,
        updated_at: 100,
        version: 1,
    }
}

/// Everything a rekey may touch, in id order.
async fn snapshot(store: &dyn OAuthStore) -> (Vec<ClientRecord>, Vec<UpstreamRecord>) {
    (
        store.clients_after("", 1000).await.expect("clients"),
        store.upstreams_after("", 1000).await.expect("upstreams"),
    )
}

async fn rekey_events(service: &AuthService) -> Vec<AuditEvent> {
    service
        .audit_events(&AuditFilter {
            limit: 100,
            ..AuditFilter::default()
        })
        .await
        .expect("audit events")
        .into_iter()
        .filter(|e| e.action == "encryption.rekey")
        .collect()
}

/// A service with the admin secret over `store` and `keys`; Podio is never
/// reached (stored tokens are far from expiry).
fn service_over(store: Arc<dyn OAuthStore>, keys: &str) -> Harness {
    Harness::builder().admin_secret(ADMIN).over(
        "http://127.0.0.1:9",
        Arc::new(MemoryTokenStore::new()),
        store,
        keyring(keys),
    )
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn after_a_rekey_the_old_key_can_be_removed() {
    with_pg_store(|pg| async move {
        let shutdown = CancellationToken::new();
        let sim = spawn_sim(shutdown.clone()).await;
        let _stop_sim = shutdown.drop_guard();
        let start = |keys: &str| {
            Harness::builder().admin_secret(ADMIN).over(
                &sim,
                Arc::new(pg.clone()),
                Arc::new(pg.oauth()),
                keyring(keys),
            )
        };
        let store = pg.oauth();

        // Under key a: a registered client bringing its Podio key, signed
        // in through; and a direct-mode sign-in, whose upstream credentials
        // keep the user's Podio secret.
        let first = start(KEY_A);
        let info = first
            .register(serde_json::json!({
                "client_name": "Claude",
                "redirect_uris": [CLAUDE],
                "podio_client_id": seed::JANE_CLIENT_ID,
                "podio_client_secret": seed::JANE_CLIENT_SECRET,
            }))
            .await;
        let client_id = info["client_id"].as_str().expect("client_id").to_owned();
        let registered = first.tokens_for(&client_id, CLAUDE, JANE).await;
        let code = first.code_for(seed::JANE_CLIENT_ID, CLAUDE, JANE).await;
        let direct = token_json(
            &first
                .exchange(
                    seed::JANE_CLIENT_ID,
                    CLAUDE,
                    &code,
                    Some(seed::JANE_CLIENT_SECRET),
                )
                .await,
        );
        drop(first);
        let before = snapshot(&store).await;
        assert_eq!(before.1.len(), 2, "{:?}", before.1);
        assert_eq!(
            before
                .1
                .iter()
                .filter(|u| u.podio_client_secret_enc.is_some())
                .count(),
            1,
            "the direct-mode credentials keep the Podio secret"
        );
        let expected = [1, 1, 2, 2];

        // Key b in front: a dry run counts everything and writes nothing.
        let rotated = start(&format!("{KEY_B},{KEY_A}"));
        let dry = rotated.service.rekey_secrets(true).await.expect("dry run");
        assert!(dry.dry_run);
        assert_eq!(dry.current_key_id, "b");
        assert_eq!(dry.kinds.iter().map(|k| k.kind).collect::<Vec<_>>(), KINDS);
        for (kind, n) in KINDS.into_iter().zip(expected) {
            assert_eq!(counts(&dry, kind), [n, n, 0, 0, 0], "{kind}");
        }
        assert_eq!(snapshot(&store).await, before, "a dry run writes nothing");
        assert!(rekey_events(&rotated.service).await.is_empty());

        // The real run: every ciphertext rewritten, versions bumped as a
        // refresh does, the token times untouched.
        let done = rotated.service.rekey_secrets(false).await.expect("rekey");
        assert!(!done.dry_run);
        for (kind, n) in KINDS.into_iter().zip(expected) {
            assert_eq!(counts(&done, kind), [n, n, 0, 0, 0], "{kind}");
        }
        let after = snapshot(&store).await;
        for (old, new) in before.1.iter().zip(&after.1) {
            assert_eq!(new.id, old.id);
            assert_eq!(new.version, old.version + 1);
            assert_ne!(new.access_token_enc, old.access_token_enc);
            assert_ne!(new.refresh_token_enc, old.refresh_token_enc);
            match (&old.podio_client_secret_enc, &new.podio_client_secret_enc) {
                (Some(old), Some(new)) => assert_ne!(old, new),
                (None, None) => {}
                other => panic!("the podio secret came or went: {other:?}"),
            }
            assert_eq!(
                (new.expires_at, new.updated_at),
                (old.expires_at, old.updated_at)
            );
        }
        for (old, new) in before.0.iter().zip(&after.0) {
            assert_eq!(new.client_id, old.client_id);
            assert_ne!(new.podio_client_secret_enc, old.podio_client_secret_enc);
            assert_eq!(
                ClientRecord {
                    podio_client_secret_enc: None,
                    ..new.clone()
                },
                ClientRecord {
                    podio_client_secret_enc: None,
                    ..old.clone()
                }
            );
        }
        let events = rekey_events(&rotated.service).await;
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0].subject, "admin");
        assert_eq!(events[0].target, "encryption_key:b");
        assert_eq!(
            events[0].outcome,
            "ok: 6 rewrapped, 0 already current, 0 undecryptable, 0 contended"
        );

        // Run again: nothing is left to do.
        let again = rotated.service.rekey_secrets(false).await.expect("again");
        for (kind, n) in KINDS.into_iter().zip(expected) {
            assert_eq!(counts(&again, kind), [n, 0, n, 0, 0], "{kind}");
        }
        assert_eq!(snapshot(&store).await, after);
        drop(rotated);

        // Key a removed: every credential written under it still works,
        // renewals at Podio included (the refresh token and the Podio
        // secret: the client's, or in direct mode the upstream's own).
        let new_only = start(KEY_B);
        for (tokens, mode) in [
            (&registered, CredentialMode::Registered),
            (&direct, CredentialMode::Direct),
        ] {
            let access = tokens["access_token"].as_str().expect("at");
            let principal = new_only.check_access(access, mode).await;
            let upstream = UpstreamRef::of(&principal);
            let current = new_only
                .service
                .upstream_token(&upstream, None)
                .await
                .expect("podio token");
            let rejected = sha256_hex(current.access_token.expose());
            let renewed = new_only
                .service
                .upstream_token(&upstream, Some(&rejected))
                .await
                .expect("renewed at podio");
            assert_ne!(renewed.access_token, current.access_token, "{mode:?}");
        }
        let refresh = registered["refresh_token"].as_str().expect("rt");
        let renewed = token_json(&new_only.refresh(&client_id, refresh, None).await);
        new_only
            .check_access(
                renewed["access_token"].as_str().expect("at"),
                CredentialMode::Registered,
            )
            .await;
    })
    .await;
}

#[tokio::test]
async fn what_no_key_decrypts_is_counted_and_left_as_it_is() {
    let a = keyring(KEY_A);
    let z = keyring(KEY_Z);
    let store: Arc<dyn OAuthStore> = Arc::new(MemoryOAuthStore::new());
    let clients = [
        client_with_secret("c-ok", Some(seal(&a, "secret-ok", &client_aad("c-ok")))),
        // Under a key that is gone.
        client_with_secret(
            "c-gone",
            Some(seal(&z, "secret-gone", &client_aad("c-gone"))),
        ),
        // Damaged bytes.
        client_with_secret("c-garbage", Some(b"not a ciphertext".to_vec())),
        // Nothing to rekey.
        client_with_secret("c-none", None),
    ];
    for client in &clients {
        store.insert_client(client).await.expect("insert client");
    }
    // An access token copied from another record: it decrypts nowhere else.
    let moved = UpstreamRecord {
        podio_client_secret_enc: None,
        access_token_enc: upstream_under(&a, "u-other").access_token_enc,
        ..upstream_under(&a, "u-moved")
    };
    store
        .insert_upstream(&moved)
        .await
        .expect("insert upstream");
    let before = snapshot(&*store).await;

    let h = service_over(store.clone(), &format!("{KEY_B},{KEY_A}"));
    let dry = h.service.rekey_secrets(true).await.expect("dry run");
    let expected = [
        [3, 1, 0, 2, 0],
        [0, 0, 0, 0, 0],
        [1, 0, 0, 1, 0],
        [1, 1, 0, 0, 0],
    ];
    for (kind, n) in KINDS.into_iter().zip(expected) {
        assert_eq!(counts(&dry, kind), n, "{kind}");
    }
    assert_eq!(snapshot(&*store).await, before);

    let done = h.service.rekey_secrets(false).await.expect("rekey");
    for (kind, n) in KINDS.into_iter().zip(expected) {
        assert_eq!(counts(&done, kind), n, "{kind}");
    }
    let events = rekey_events(&h.service).await;
    assert_eq!(
        events
            .iter()
            .map(|e| e.outcome.as_str())
            .collect::<Vec<_>>(),
        ["incomplete: 2 rewrapped, 0 already current, 3 undecryptable, 0 contended"]
    );
    // The undecryptable ones are byte for byte what they were; the rest is
    // under b, readable without a.
    let b = keyring(KEY_B);
    let client = |id: &str| {
        let store = store.clone();
        let id = id.to_owned();
        async move { store.client(&id).await.expect("client").expect("exists") }
    };
    assert_eq!(client("c-gone").await, clients[1]);
    assert_eq!(client("c-garbage").await, clients[2]);
    assert_eq!(client("c-none").await, clients[3]);
    let ok = client("c-ok").await;
    let ok_enc = ok.podio_client_secret_enc.as_deref().expect("secret");
    assert_eq!(open(&b, ok_enc, &client_aad("c-ok")), "secret-ok");
    let now = store
        .upstream("u-moved")
        .await
        .expect("upstream")
        .expect("exists");
    assert_eq!(now.access_token_enc, moved.access_token_enc);
    assert_eq!(now.version, moved.version + 1);
    assert_eq!(
        open(
            &b,
            &now.refresh_token_enc,
            &upstream_aad("u-moved", "refresh_token_enc")
        ),
        "refresh-old"
    );

    // Another run changes nothing more, and still reports them.
    let again = h.service.rekey_secrets(false).await.expect("again");
    for (kind, n) in KINDS.into_iter().zip([
        [3, 0, 1, 2, 0],
        [0, 0, 0, 0, 0],
        [1, 0, 0, 1, 0],
        [1, 0, 1, 0, 0],
    ]) {
        assert_eq!(counts(&again, kind), n, "{kind}");
    }
}

#[tokio::test]
async fn every_page_is_walked() {
    let a = keyring(KEY_A);
    let store: Arc<dyn OAuthStore> = Arc::new(MemoryOAuthStore::new());
    // More than two pages of each.
    for n in 0..250 {
        let id = format!("id-{n:03}");
        store
            .insert_upstream(&upstream_under(&a, &id))
            .await
            .expect("insert upstream");
        let client = client_with_secret(&id, Some(seal(&a, "s", &client_aad(&id))));
        store.insert_client(&client).await.expect("insert client");
    }
    let h = service_over(store, &format!("{KEY_B},{KEY_A}"));
    let done = h.service.rekey_secrets(false).await.expect("rekey");
    for kind in KINDS {
        assert_eq!(counts(&done, kind), [250, 250, 0, 0, 0], "{kind}");
    }
    let again = h.service.rekey_secrets(true).await.expect("dry run");
    for kind in KINDS {
        assert_eq!(counts(&again, kind), [250, 0, 250, 0, 0], "{kind}");
    }
}

#[tokio::test]
async fn rekey_is_an_admin_rpc_of_the_oauth_server() {
    let h = service_over(Arc::new(MemoryOAuthStore::new()), KEY_B);
    let refused = Auth::rekey(&h.service, Request::new(RekeyRequest { dry_run: true }))
        .await
        .expect_err("no admin secret");
    assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");

    let answer = Auth::rekey(&h.service, admin(RekeyRequest { dry_run: true }))
        .await
        .expect("rekey")
        .into_inner();
    assert_eq!(answer.current_key_id, "b");
    assert!(answer.dry_run);
    assert_eq!(
        answer
            .kinds
            .iter()
            .map(|k| k.kind.as_str())
            .collect::<Vec<_>>(),
        KINDS
    );
    assert!(answer.kinds.iter().all(|k| k.examined == 0));

    let without_oauth = AuthService::new(Arc::new(MemoryTokenStore::new()), Some(ADMIN.to_owned()));
    let refused = Auth::rekey(&without_oauth, admin(RekeyRequest::default()))
        .await
        .expect_err("no oauth server");
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    assert!(
        refused.message().contains("PORTICO_ENCRYPTION_KEYS"),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_refresh_during_the_rekey_wins_and_the_rest_is_retried() {
    let a = keyring(KEY_A);
    let inner: Arc<dyn OAuthStore> = Arc::new(MemoryOAuthStore::new());
    let record = upstream_under(&a, "u1");
    inner.insert_upstream(&record).await.expect("insert");
    let racing = Racing::new(inner, &format!("{KEY_B},{KEY_A}"));
    racing.refreshes.store(1, Ordering::SeqCst);
    let h = service_over(racing.clone(), &format!("{KEY_B},{KEY_A}"));

    let done = h.service.rekey_secrets(false).await.expect("rekey");
    // The first write lost to the refresh; read again, only the Podio
    // secret was left under a.
    assert_eq!(counts(&done, UPSTREAM_PODIO_SECRET), [1, 1, 0, 0, 0]);
    assert_eq!(counts(&done, UPSTREAM_ACCESS_TOKEN), [1, 0, 1, 0, 0]);
    assert_eq!(counts(&done, UPSTREAM_REFRESH_TOKEN), [1, 0, 1, 0, 0]);
    let stored = racing.upstream("u1").await.expect("upstream").expect("u1");
    assert_eq!(
        stored.version,
        record.version + 2,
        "the refresh, then the rekey"
    );
    let b = keyring(KEY_B);
    let secret = stored.podio_client_secret_enc.as_deref().expect("secret");
    assert_eq!(
        open(&b, secret, &upstream_aad("u1", "podio_client_secret_enc")),
        "podio-secret"
    );
    // The refreshed token is the one served.
    let token = h
        .service
        .upstream_token(
            &UpstreamRef {
                subject: "podio:7".to_owned(),
                mode: CredentialMode::Direct,
                reference: "u1".to_owned(),
            },
            None,
        )
        .await
        .expect("podio token");
    assert_eq!(token.access_token.expose(), "refreshed-access-1");
}

#[tokio::test]
async fn a_record_that_keeps_changing_is_left_for_the_next_run() {
    let a = keyring(KEY_A);
    let inner: Arc<dyn OAuthStore> = Arc::new(MemoryOAuthStore::new());
    let record = upstream_under(&a, "u1");
    inner.insert_upstream(&record).await.expect("insert");
    let racing = Racing::new(inner, &format!("{KEY_B},{KEY_A}"));
    racing.refreshes.store(2, Ordering::SeqCst);
    let h = service_over(racing.clone(), &format!("{KEY_B},{KEY_A}"));

    let done = h.service.rekey_secrets(false).await.expect("rekey");
    assert_eq!(counts(&done, UPSTREAM_PODIO_SECRET), [1, 0, 0, 0, 1]);
    assert_eq!(counts(&done, UPSTREAM_ACCESS_TOKEN), [1, 0, 1, 0, 0]);
    assert_eq!(done.contended(), 1);
    let stored = racing.upstream("u1").await.expect("upstream").expect("u1");
    assert_eq!(
        stored.podio_client_secret_enc,
        record.podio_client_secret_enc
    );
    assert_eq!(
        open(
            &keyring(KEY_B),
            &stored.access_token_enc,
            &upstream_aad("u1", "access_token_enc")
        ),
        "refreshed-access-2",
        "the last refresh stands"
    );
    let events = rekey_events(&h.service).await;
    assert_eq!(
        events
            .iter()
            .map(|e| e.outcome.as_str())
            .collect::<Vec<_>>(),
        ["incomplete: 0 rewrapped, 2 already current, 0 undecryptable, 1 contended"]
    );

    // Left alone, the next run finishes it.
    let next = h.service.rekey_secrets(false).await.expect("rekey");
    assert_eq!(counts(&next, UPSTREAM_PODIO_SECRET), [1, 1, 0, 0, 0]);
}

#[tokio::test]
async fn a_refresh_that_loses_to_a_rekey_keeps_the_tokens_podio_issued() {
    let shutdown = CancellationToken::new();
    let sim = spawn_sim(shutdown.clone()).await;
    let _stop_sim = shutdown.drop_guard();
    let racing = Racing::new(Arc::new(MemoryOAuthStore::new()), KEY_B);
    let h = Harness::builder().admin_secret(ADMIN).over(
        &sim,
        Arc::new(MemoryTokenStore::new()),
        racing.clone(),
        keyring(KEY_B),
    );
    let info = h
        .register(serde_json::json!({
            "client_name": "Claude",
            "redirect_uris": [CLAUDE],
            "podio_client_id": seed::JANE_CLIENT_ID,
            "podio_client_secret": seed::JANE_CLIENT_SECRET,
        }))
        .await;
    let client_id = info["client_id"].as_str().expect("client_id");
    let tokens = h.tokens_for(client_id, CLAUDE, JANE).await;
    let principal = h
        .check_access(
            tokens["access_token"].as_str().expect("at"),
            CredentialMode::Registered,
        )
        .await;
    let upstream = UpstreamRef::of(&principal);
    let current = h
        .service
        .upstream_token(&upstream, None)
        .await
        .expect("podio token");

    // Podio renews; a rekey re-encrypts the same old tokens just before
    // the renewal is stored.
    racing.rekeys.store(1, Ordering::SeqCst);
    let rejected = sha256_hex(current.access_token.expose());
    let renewed = h
        .service
        .upstream_token(&upstream, Some(&rejected))
        .await
        .expect("renewed");
    assert_ne!(renewed.access_token, current.access_token);
    // The renewal was stored on the second try as it was, not renewed again
    // with a refresh token Podio may have spent.
    let updates = racing.updates();
    assert_eq!(updates.len(), 2, "{updates:?}");
    assert_eq!(updates[0], updates[1]);
    let served = h
        .service
        .upstream_token(&upstream, None)
        .await
        .expect("podio token");
    assert_eq!(served.access_token, renewed.access_token);
}

/// An [`OAuthStore`] that lets another writer in just before some writes,
/// as a replica working at the same moment would.
struct Racing {
    inner: Arc<dyn OAuthStore>,
    /// The keys the other writer uses (the current one first).
    keys: Keyring,
    /// How many more rekey writes lose to a token refresh first.
    refreshes: AtomicUsize,
    /// How many refreshes so far, to tell their tokens apart.
    refreshed: AtomicUsize,
    /// How many more token updates lose to a rekey first.
    rekeys: AtomicUsize,
    /// The ciphertexts of every token update, in order.
    updates: Mutex<Vec<(Vec<u8>, Vec<u8>)>>,
}

impl Racing {
    fn new(inner: Arc<dyn OAuthStore>, keys: &str) -> Arc<Racing> {
        Arc::new(Racing {
            inner,
            keys: keyring(keys),
            refreshes: AtomicUsize::new(0),
            refreshed: AtomicUsize::new(0),
            rekeys: AtomicUsize::new(0),
            updates: Mutex::new(Vec::new()),
        })
    }

    fn updates(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.updates
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    async fn current(&self, id: &str) -> UpstreamRecord {
        self.inner
            .upstream(id)
            .await
            .expect("upstream")
            .expect("exists")
    }
}

/// Takes one from `counter` if it is not 0.
fn take(counter: &AtomicUsize) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

#[async_trait::async_trait]
impl OAuthStore for Racing {
    async fn replace_upstream_ciphertexts(
        &self,
        id: &str,
        expected_version: i64,
        ciphertexts: &UpstreamCiphertexts,
    ) -> Result<bool, StoreError> {
        if take(&self.refreshes) {
            // A refresh writes new tokens under the current key.
            let n = self.refreshed.fetch_add(1, Ordering::SeqCst) + 1;
            let now = self.current(id).await;
            let access = seal(
                &self.keys,
                &format!("refreshed-access-{n}"),
                &upstream_aad(id, "access_token_enc"),
            );
            let refresh = seal(
                &self.keys,
                &format!("refreshed-refresh-{n}"),
                &upstream_aad(id, "refresh_token_enc"),
            );
            assert!(
                self.inner
                    .update_upstream_tokens(id, now.version, &access, &refresh, LATER, 500)
                    .await?
            );
        }
        self.inner
            .replace_upstream_ciphertexts(id, expected_version, ciphertexts)
            .await
    }

    async fn update_upstream_tokens(
        &self,
        id: &str,
        expected_version: i64,
        access_token_enc: &[u8],
        refresh_token_enc: &[u8],
        expires_at: i64,
        updated_at: i64,
    ) -> Result<bool, StoreError> {
        self.updates
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((access_token_enc.to_vec(), refresh_token_enc.to_vec()));
        if take(&self.rekeys) {
            // A rekey re-encrypts the tokens as they are (new nonces, same
            // plaintext).
            let now = self.current(id).await;
            let reseal = |enc: &[u8], column: &str| {
                let aad = upstream_aad(id, column);
                seal(&self.keys, &open(&self.keys, enc, &aad), &aad)
            };
            let rewrapped = UpstreamCiphertexts {
                podio_client_secret_enc: now.podio_client_secret_enc.clone(),
                access_token_enc: reseal(&now.access_token_enc, "access_token_enc"),
                refresh_token_enc: reseal(&now.refresh_token_enc, "refresh_token_enc"),
            };
            assert!(
                self.inner
                    .replace_upstream_ciphertexts(id, now.version, &rewrapped)
                    .await?
            );
        }
        self.inner
            .update_upstream_tokens(
                id,
                expected_version,
                access_token_enc,
                refresh_token_enc,
                expires_at,
                updated_at,
            )
            .await
    }

    // Everything else passes straight through.

    async fn insert_client(&self, client: &ClientRecord) -> Result<(), StoreError> {
        self.inner.insert_client(client).await
    }

    async fn client(&self, client_id: &str) -> Result<Option<ClientRecord>, StoreError> {
        self.inner.client(client_id).await
    }

    async fn clients_owned_by(&self, subject: &str) -> Result<Vec<ClientRecord>, StoreError> {
        self.inner.clients_owned_by(subject).await
    }

    async fn clients_of_kind(&self, kind: ClientKind) -> Result<Vec<ClientRecord>, StoreError> {
        self.inner.clients_of_kind(kind).await
    }

    async fn set_client_secret(
        &self,
        client_id: &str,
        secret_hash: &str,
        secret_hint: &str,
    ) -> Result<bool, StoreError> {
        self.inner
            .set_client_secret(client_id, secret_hash, secret_hint)
            .await
    }

    async fn revoke_client(&self, client_id: &str, at: i64) -> Result<bool, StoreError> {
        self.inner.revoke_client(client_id, at).await
    }

    async fn insert_upstream(&self, upstream: &UpstreamRecord) -> Result<(), StoreError> {
        self.inner.insert_upstream(upstream).await
    }

    async fn upstream(&self, id: &str) -> Result<Option<UpstreamRecord>, StoreError> {
        self.inner.upstream(id).await
    }

    async fn clients_after(
        &self,
        after: &str,
        limit: u32,
    ) -> Result<Vec<ClientRecord>, StoreError> {
        self.inner.clients_after(after, limit).await
    }

    async fn replace_client_secret_enc(
        &self,
        client_id: &str,
        expected: &[u8],
        new: &[u8],
    ) -> Result<bool, StoreError> {
        self.inner
            .replace_client_secret_enc(client_id, expected, new)
            .await
    }

    async fn upstreams_after(
        &self,
        after: &str,
        limit: u32,
    ) -> Result<Vec<UpstreamRecord>, StoreError> {
        self.inner.upstreams_after(after, limit).await
    }

    async fn insert_grant(&self, grant: &GrantRecord) -> Result<(), StoreError> {
        self.inner.insert_grant(grant).await
    }

    async fn grant(&self, id: &str) -> Result<Option<GrantRecord>, StoreError> {
        self.inner.grant(id).await
    }

    async fn grants_of(&self, subject: &str) -> Result<Vec<GrantRecord>, StoreError> {
        self.inner.grants_of(subject).await
    }

    async fn touch_grant(&self, id: &str, at: i64) -> Result<bool, StoreError> {
        self.inner.touch_grant(id, at).await
    }

    async fn revoke_grant(&self, id: &str, at: i64) -> Result<bool, StoreError> {
        self.inner.revoke_grant(id, at).await
    }

    async fn insert_code(&self, code: &CodeRecord) -> Result<(), StoreError> {
        self.inner.insert_code(code).await
    }

    async fn consume_code(&self, code_hash: &str, now: i64) -> Result<CodeUse, StoreError> {
        self.inner.consume_code(code_hash, now).await
    }

    async fn insert_token(&self, token: &TokenRecord) -> Result<(), StoreError> {
        self.inner.insert_token(token).await
    }

    async fn token(&self, token_hash: &str) -> Result<Option<TokenRecord>, StoreError> {
        self.inner.token(token_hash).await
    }

    async fn mark_refresh_used(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<TokenRecord>, StoreError> {
        self.inner.mark_refresh_used(token_hash, now).await
    }

    async fn revoke_family(&self, family_id: &str, at: i64) -> Result<u64, StoreError> {
        self.inner.revoke_family(family_id, at).await
    }

    async fn revoke_token(&self, token_hash: &str, at: i64) -> Result<bool, StoreError> {
        self.inner.revoke_token(token_hash, at).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.inner.ping().await
    }
}
