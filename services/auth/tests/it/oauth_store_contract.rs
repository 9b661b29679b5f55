//! The `OAuthStore` contract: every test is a generic function over an
//! `Arc<dyn OAuthStore>` (shared so tests can race tasks against it), and
//! `oauth_contract!` runs each against the in-memory store and against
//! Postgres (in a fresh schema), so both behave alike.

use std::sync::Arc;

use portico_auth::{
    ClientKind, ClientRecord, CodeRecord, CodeUse, GrantRecord, MemoryOAuthStore, OAuthStore,
    StoreError, TokenKind, TokenRecord, UpstreamCiphertexts, UpstreamRecord,
};

use crate::support::with_pg_store;

macro_rules! oauth_contract {
    ($($test:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test]
                async fn $test() {
                    super::$test(std::sync::Arc::new(super::MemoryOAuthStore::new())).await;
                }
            )*
        }

        mod postgres {
            $(
                #[tokio::test]
                async fn $test() {
                    super::with_pg_store(|store| async move {
                        super::$test(std::sync::Arc::new(store.oauth())).await
                    })
                    .await;
                }
            )*
        }
    };
}

oauth_contract!(
    clients_are_found_by_id,
    clients_owned_by_is_newest_first,
    clients_of_kind_is_newest_first,
    set_client_secret_replaces_it,
    revoke_client_cascades_and_keeps_first_times,
    revoking_an_unknown_client_revokes_nothing,
    upstream_credentials_are_found_by_id,
    upstream_update_needs_the_current_version,
    concurrent_upstream_updates_have_one_winner,
    clients_are_paged_by_id,
    client_secret_swap_needs_the_old_ciphertext,
    upstreams_are_paged_by_id,
    upstream_ciphertext_swap_needs_the_current_version,
    concurrent_swap_and_refresh_have_one_winner,
    grants_are_found_by_id,
    grants_of_is_newest_first,
    touch_grant_never_moves_back,
    revoke_grant_revokes_its_tokens_and_keeps_first_times,
    code_is_fresh_once_then_replayed,
    expired_and_unknown_codes,
    concurrent_consumes_yield_one_fresh,
    tokens_are_found_by_hash,
    mark_refresh_used_returns_the_record_before,
    concurrent_refreshes_have_one_first,
    revoke_family_counts_newly_revoked,
    revoke_token_keeps_first_time,
    duplicates_already_exist,
    dangling_references_are_rejected,
    ping_succeeds,
);

type Store = Arc<dyn OAuthStore>;

fn client(client_id: &str, owner: Option<&str>, created_at: i64) -> ClientRecord {
    ClientRecord {
        client_id: client_id.to_owned(),
        kind: if owner.is_some() {
            ClientKind::Integration
        } else {
            ClientKind::Registered
        },
        name: format!("client {client_id}"),
        redirect_uris: vec![
            "https://app.example/cb".to_owned(),
            "http://127.0.0.1:8976/cb".to_owned(),
        ],
        grant_types: vec!["authorization_code".to_owned(), "refresh_token".to_owned()],
        token_endpoint_auth_method: "none".to_owned(),
        secret_hash: None,
        secret_hint: None,
        owner_subject: owner.map(str::to_owned),
        scopes: vec!["podio:read".to_owned()],
        podio_client_id: None,
        podio_client_secret_enc: None,
        metadata_json: r#"{"client_uri":"https://app.example"}"#.to_owned(),
        created_at,
        revoked_at: None,
    }
}

fn upstream(id: &str) -> UpstreamRecord {
    UpstreamRecord {
        id: id.to_owned(),
        subject: "podio:1337749".to_owned(),
        podio_user_id: 1_337_749,
        podio_client_id: "portico-podio-key".to_owned(),
        podio_client_secret_enc: None,
        // Not valid UTF-8, as real ciphertext is not.
        access_token_enc: vec![1, 0, 0xff, 0xfe, 42],
        refresh_token_enc: vec![1, 2, 3, 0x80],
        expires_at: 28_900,
        updated_at: 100,
        version: 1,
    }
}

fn grant(id: &str, client_id: &str, subject: &str, created_at: i64) -> GrantRecord {
    GrantRecord {
        id: id.to_owned(),
        client_id: client_id.to_owned(),
        subject: subject.to_owned(),
        credential_mode: "registered".to_owned(),
        scopes: vec!["podio:read".to_owned(), "podio:write".to_owned()],
        space_ids: vec![],
        org_ids: vec![],
        upstream_id: None,
        resource: "https://mcp.example/mcp".to_owned(),
        created_at,
        last_used_at: None,
        revoked_at: None,
    }
}

fn token(token_hash: &str, kind: TokenKind, grant_id: &str, family_id: &str) -> TokenRecord {
    TokenRecord {
        token_hash: token_hash.to_owned(),
        kind,
        grant_id: grant_id.to_owned(),
        family_id: family_id.to_owned(),
        expires_at: 3_700,
        created_at: 100,
        used_at: None,
        revoked_at: None,
        scopes: None,
    }
}

fn code(code_hash: &str, grant_id: &str, expires_at: i64) -> CodeRecord {
    CodeRecord {
        code_hash: code_hash.to_owned(),
        grant_id: grant_id.to_owned(),
        client_id: "c1".to_owned(),
        redirect_uri: "https://app.example/cb".to_owned(),
        code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".to_owned(),
        resource: "https://mcp.example/mcp".to_owned(),
        expires_at,
        used_at: None,
    }
}

fn ids<T>(records: &[T], id: impl Fn(&T) -> &str) -> Vec<String> {
    records.iter().map(|r| id(r).to_owned()).collect()
}

async fn revoked_at_of_token(store: &Store, token_hash: &str) -> Option<i64> {
    store
        .token(token_hash)
        .await
        .expect("token")
        .expect("token exists")
        .revoked_at
}

async fn revoked_at_of_grant(store: &Store, id: &str) -> Option<i64> {
    store
        .grant(id)
        .await
        .expect("grant")
        .expect("grant exists")
        .revoked_at
}

async fn clients_are_found_by_id(store: Store) {
    let public = client("c1", None, 100);
    let confidential = ClientRecord {
        token_endpoint_auth_method: "client_secret_basic".to_owned(),
        secret_hash: Some("hash-secret".to_owned()),
        secret_hint: Some("pcs_abcd".to_owned()),
        podio_client_id: Some("my-podio-key".to_owned()),
        podio_client_secret_enc: Some(vec![1, 0, 0xff, 7]),
        scopes: vec![],
        redirect_uris: vec![],
        revoked_at: Some(300),
        ..client("c2", Some("podio:1"), 200)
    };
    store.insert_client(&public).await.expect("insert");
    store.insert_client(&confidential).await.expect("insert");

    assert_eq!(store.client("c1").await.expect("client"), Some(public));
    assert_eq!(
        store.client("c2").await.expect("client"),
        Some(confidential)
    );
    assert_eq!(store.client("c3").await.expect("client"), None);
    assert_eq!(store.client("").await.expect("client"), None);
}

async fn clients_of_kind_is_newest_first(store: Store) {
    assert_eq!(
        store
            .clients_of_kind(ClientKind::Integration)
            .await
            .expect("list"),
        vec![]
    );
    for (id, owner, created_at) in [
        ("old", Some("podio:1"), 100),
        ("registered", None, 250),
        ("new", Some("podio:2"), 300),
        ("same-second", Some("podio:1"), 300),
    ] {
        store
            .insert_client(&client(id, owner, created_at))
            .await
            .expect("insert");
    }
    store.revoke_client("old", 400).await.expect("revoke");
    let integration = store
        .clients_of_kind(ClientKind::Integration)
        .await
        .expect("list");
    assert_eq!(
        ids(&integration, |c| &c.client_id),
        ["same-second", "new", "old"]
    );
    let registered = store
        .clients_of_kind(ClientKind::Registered)
        .await
        .expect("list");
    assert_eq!(ids(&registered, |c| &c.client_id), ["registered"]);
}

async fn clients_owned_by_is_newest_first(store: Store) {
    assert_eq!(
        store.clients_owned_by("podio:1").await.expect("list"),
        vec![]
    );
    for (id, owner, created_at) in [
        ("old", Some("podio:1"), 100),
        ("new", Some("podio:1"), 300),
        ("mid", Some("podio:1"), 200),
        ("mid-later", Some("podio:1"), 200),
        ("someone-else", Some("podio:2"), 250),
        ("registered", None, 250),
    ] {
        store
            .insert_client(&client(id, owner, created_at))
            .await
            .expect("insert");
    }
    store.revoke_client("mid", 400).await.expect("revoke");

    let owned = store.clients_owned_by("podio:1").await.expect("list");
    // Same second: the later insert counts as newer; revoked ones are listed.
    assert_eq!(
        ids(&owned, |c| &c.client_id),
        ["new", "mid-later", "mid", "old"]
    );
    assert_eq!(
        ids(
            &store.clients_owned_by("podio:2").await.expect("list"),
            |c| &c.client_id
        ),
        ["someone-else"]
    );
}

async fn set_client_secret_replaces_it(store: Store) {
    store
        .insert_client(&client("c1", Some("podio:1"), 100))
        .await
        .expect("insert");
    store
        .insert_client(&client("c2", Some("podio:1"), 100))
        .await
        .expect("insert");

    assert!(
        store
            .set_client_secret("c1", "hash-1", "hint-1")
            .await
            .expect("set")
    );
    assert!(
        store
            .set_client_secret("c1", "hash-2", "hint-2")
            .await
            .expect("rotate")
    );
    assert!(
        !store
            .set_client_secret("nope", "hash-3", "hint-3")
            .await
            .expect("set")
    );

    let c1 = store.client("c1").await.expect("client").expect("c1");
    assert_eq!(c1.secret_hash.as_deref(), Some("hash-2"));
    assert_eq!(c1.secret_hint.as_deref(), Some("hint-2"));
    assert_eq!(
        c1,
        ClientRecord {
            secret_hash: Some("hash-2".to_owned()),
            secret_hint: Some("hint-2".to_owned()),
            ..client("c1", Some("podio:1"), 100)
        },
        "nothing else changes"
    );
    let c2 = store.client("c2").await.expect("client").expect("c2");
    assert_eq!(c2.secret_hash, None);
}

async fn revoke_client_cascades_and_keeps_first_times(store: Store) {
    store
        .insert_client(&client("c1", None, 100))
        .await
        .expect("insert");
    store
        .insert_client(&client("c2", None, 100))
        .await
        .expect("insert");
    for (id, client_id) in [("g1", "c1"), ("g1b", "c1"), ("g2", "c2"), ("g-default", "")] {
        store
            .insert_grant(&grant(id, client_id, "podio:1", 100))
            .await
            .expect("insert grant");
    }
    for (hash, grant_id) in [
        ("t1", "g1"),
        ("t1b", "g1b"),
        ("t2", "g2"),
        ("t-default", "g-default"),
    ] {
        store
            .insert_token(&token(
                hash,
                TokenKind::Access,
                grant_id,
                &format!("f-{hash}"),
            ))
            .await
            .expect("insert token");
    }
    store
        .insert_token(&token("t1-refresh", TokenKind::Refresh, "g1", "f-t1"))
        .await
        .expect("insert token");
    assert!(store.revoke_token("t1", 180).await.expect("revoke token"));
    // g1b was revoked earlier and must keep that time.
    assert!(store.revoke_grant("g1b", 150).await.expect("revoke grant"));

    assert!(store.revoke_client("c1", 200).await.expect("revoke"));
    assert!(store.revoke_client("c1", 900).await.expect("revoke again"));

    let c1 = store.client("c1").await.expect("client").expect("c1");
    assert_eq!(c1.revoked_at, Some(200));
    assert_eq!(revoked_at_of_grant(&store, "g1").await, Some(200));
    assert_eq!(revoked_at_of_grant(&store, "g1b").await, Some(150));
    assert_eq!(revoked_at_of_token(&store, "t1").await, Some(180));
    assert_eq!(revoked_at_of_token(&store, "t1-refresh").await, Some(200));
    assert_eq!(revoked_at_of_token(&store, "t1b").await, Some(150));

    // Another client's and default-mode grants are untouched.
    let c2 = store.client("c2").await.expect("client").expect("c2");
    assert_eq!(c2.revoked_at, None);
    assert_eq!(revoked_at_of_grant(&store, "g2").await, None);
    assert_eq!(revoked_at_of_grant(&store, "g-default").await, None);
    assert_eq!(revoked_at_of_token(&store, "t2").await, None);
    assert_eq!(revoked_at_of_token(&store, "t-default").await, None);
}

async fn revoking_an_unknown_client_revokes_nothing(store: Store) {
    store
        .insert_grant(&grant("g-default", "", "podio:1", 100))
        .await
        .expect("insert grant");
    store
        .insert_token(&token("t", TokenKind::Access, "g-default", "f"))
        .await
        .expect("insert token");

    assert!(!store.revoke_client("nope", 200).await.expect("revoke"));
    // The empty client id of default-mode grants is no client.
    assert!(!store.revoke_client("", 200).await.expect("revoke"));
    assert_eq!(revoked_at_of_grant(&store, "g-default").await, None);
    assert_eq!(revoked_at_of_token(&store, "t").await, None);
}

async fn upstream_credentials_are_found_by_id(store: Store) {
    let default_mode = upstream("u1");
    let direct_mode = UpstreamRecord {
        podio_client_id: "users-own-key".to_owned(),
        podio_client_secret_enc: Some(vec![9, 8, 7, 0]),
        version: 7,
        ..upstream("u2")
    };
    store.insert_upstream(&default_mode).await.expect("insert");
    store.insert_upstream(&direct_mode).await.expect("insert");

    assert_eq!(
        store.upstream("u1").await.expect("upstream"),
        Some(default_mode)
    );
    assert_eq!(
        store.upstream("u2").await.expect("upstream"),
        Some(direct_mode)
    );
    assert_eq!(store.upstream("u3").await.expect("upstream"), None);
}

async fn upstream_update_needs_the_current_version(store: Store) {
    store
        .insert_upstream(&upstream("u1"))
        .await
        .expect("insert");
    store
        .insert_upstream(&upstream("u2"))
        .await
        .expect("insert");

    // Stale version: nothing changes.
    assert!(
        !store
            .update_upstream_tokens("u1", 0, b"new-access", b"new-refresh", 9_000, 200)
            .await
            .expect("update")
    );
    assert_eq!(
        store.upstream("u1").await.expect("upstream"),
        Some(upstream("u1"))
    );

    assert!(
        store
            .update_upstream_tokens("u1", 1, b"access-2", b"refresh-2", 9_000, 200)
            .await
            .expect("update")
    );
    let expected = UpstreamRecord {
        access_token_enc: b"access-2".to_vec(),
        refresh_token_enc: b"refresh-2".to_vec(),
        expires_at: 9_000,
        updated_at: 200,
        version: 2,
        ..upstream("u1")
    };
    assert_eq!(
        store.upstream("u1").await.expect("upstream"),
        Some(expected.clone())
    );

    // A second writer that read version 1 loses.
    assert!(
        !store
            .update_upstream_tokens("u1", 1, b"access-x", b"refresh-x", 9_999, 300)
            .await
            .expect("update")
    );
    assert_eq!(
        store.upstream("u1").await.expect("upstream"),
        Some(expected)
    );
    assert_eq!(
        store.upstream("u2").await.expect("upstream"),
        Some(upstream("u2"))
    );
    assert!(
        !store
            .update_upstream_tokens("nope", 1, b"a", b"r", 1, 1)
            .await
            .expect("update")
    );
}

async fn concurrent_upstream_updates_have_one_winner(store: Store) {
    store
        .insert_upstream(&upstream("u1"))
        .await
        .expect("insert");
    let writers: Vec<_> = (0..8u8)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .update_upstream_tokens("u1", 1, &[i], &[i], 9_000, 200)
                    .await
                    .expect("update")
            })
        })
        .collect();
    let mut wins = 0;
    for writer in writers {
        wins += usize::from(writer.await.expect("writer task"));
    }
    assert_eq!(wins, 1);
    let stored = store.upstream("u1").await.expect("upstream").expect("u1");
    assert_eq!(stored.version, 2);
    assert_eq!(
        stored.access_token_enc, stored.refresh_token_enc,
        "one writer's pair"
    );
}

/// Every page of `page` from the start, `limit` at a time, by the last id
/// of each; the ids of every page, in order.
async fn walk<T, F, Fut>(limit: u32, id: fn(&T) -> &str, page: F) -> Vec<Vec<String>>
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<T>, StoreError>>,
{
    let mut pages = Vec::new();
    let mut after = String::new();
    loop {
        let records = page(after.clone()).await.expect("page");
        if records.is_empty() {
            return pages;
        }
        assert!(
            records.len() <= limit as usize,
            "a page holds at most the limit"
        );
        let ids = ids(&records, id);
        after.clone_from(ids.last().expect("not empty"));
        pages.push(ids);
        assert!(pages.len() <= 10, "paging does not end: {pages:?}");
    }
}

// Ids that sort alike in every collation (same length, lowercase and
// digits), inserted out of order.
const PAGED_IDS: [&str; 5] = ["id-03", "id-01", "id-05", "id-02", "id-04"];

async fn clients_are_paged_by_id(store: Store) {
    for (n, id) in (0..).zip(PAGED_IDS) {
        let revoked = ClientRecord {
            // Revoked and integration clients are walked too.
            revoked_at: (n == 1).then_some(300),
            ..client(id, (n % 2 == 0).then_some("podio:1"), 100 + n)
        };
        store.insert_client(&revoked).await.expect("insert");
    }
    let pages = walk(
        2,
        |c: &ClientRecord| &c.client_id,
        |after| {
            let store = store.clone();
            async move { store.clients_after(&after, 2).await }
        },
    )
    .await;
    assert_eq!(
        pages,
        [
            vec!["id-01", "id-02"],
            vec!["id-03", "id-04"],
            vec!["id-05"]
        ]
    );
    // A page is whole records, and the bound is exclusive.
    let page = store.clients_after("id-03", 100).await.expect("page");
    assert_eq!(ids(&page, |c| &c.client_id), ["id-04", "id-05"]);
    assert_eq!(
        page[0],
        store.client("id-04").await.expect("client").expect("found")
    );
    assert!(
        store
            .clients_after("id-05", 100)
            .await
            .expect("page")
            .is_empty()
    );
    assert!(store.clients_after("", 0).await.expect("page").is_empty());
}

async fn client_secret_swap_needs_the_old_ciphertext(store: Store) {
    let with_secret = ClientRecord {
        podio_client_id: Some("my-podio-key".to_owned()),
        podio_client_secret_enc: Some(vec![1, 0, 0xff, 7]),
        ..client("c1", None, 100)
    };
    store.insert_client(&with_secret).await.expect("insert");
    store
        .insert_client(&client("c2", None, 100))
        .await
        .expect("insert");

    // Stale bytes, no secret at all, no such client: nothing changes.
    assert!(
        !store
            .replace_client_secret_enc("c1", &[1, 0, 0xff], &[9, 9])
            .await
            .expect("swap")
    );
    assert!(
        !store
            .replace_client_secret_enc("c2", &[1, 0, 0xff, 7], &[9, 9])
            .await
            .expect("swap")
    );
    assert!(
        !store
            .replace_client_secret_enc("c3", &[1, 0, 0xff, 7], &[9, 9])
            .await
            .expect("swap")
    );
    assert_eq!(
        store.client("c1").await.expect("client"),
        Some(with_secret.clone())
    );
    assert_eq!(
        store.client("c2").await.expect("client"),
        Some(client("c2", None, 100))
    );

    // The bytes read: replaced, and nothing else.
    assert!(
        store
            .replace_client_secret_enc("c1", &[1, 0, 0xff, 7], &[2, 0x80, 3])
            .await
            .expect("swap")
    );
    let swapped = ClientRecord {
        podio_client_secret_enc: Some(vec![2, 0x80, 3]),
        ..with_secret
    };
    assert_eq!(
        store.client("c1").await.expect("client"),
        Some(swapped.clone())
    );
    // The old bytes are stale now.
    assert!(
        !store
            .replace_client_secret_enc("c1", &[1, 0, 0xff, 7], &[4])
            .await
            .expect("swap")
    );
    assert_eq!(store.client("c1").await.expect("client"), Some(swapped));
}

async fn upstreams_are_paged_by_id(store: Store) {
    for id in PAGED_IDS {
        store.insert_upstream(&upstream(id)).await.expect("insert");
    }
    let pages = walk(
        3,
        |u: &UpstreamRecord| &u.id,
        |after| {
            let store = store.clone();
            async move { store.upstreams_after(&after, 3).await }
        },
    )
    .await;
    assert_eq!(
        pages,
        [vec!["id-01", "id-02", "id-03"], vec!["id-04", "id-05"]]
    );
    let page = store.upstreams_after("id-04", 3).await.expect("page");
    assert_eq!(page, [upstream("id-05")]);
    assert!(
        store
            .upstreams_after("id-05", 3)
            .await
            .expect("page")
            .is_empty()
    );
}

fn ciphertexts(secret: Option<&[u8]>, access: &[u8], refresh: &[u8]) -> UpstreamCiphertexts {
    UpstreamCiphertexts {
        podio_client_secret_enc: secret.map(<[u8]>::to_vec),
        access_token_enc: access.to_vec(),
        refresh_token_enc: refresh.to_vec(),
    }
}

async fn upstream_ciphertext_swap_needs_the_current_version(store: Store) {
    let direct = UpstreamRecord {
        podio_client_secret_enc: Some(vec![1, 7, 7]),
        ..upstream("u1")
    };
    store.insert_upstream(&direct).await.expect("insert");
    store
        .insert_upstream(&upstream("u2"))
        .await
        .expect("insert");
    let new = ciphertexts(Some(&[2, 7, 7]), &[2, 0xff, 1], &[2, 0x80, 2]);

    // Stale version, no such record: nothing changes.
    for (id, version) in [("u1", 0), ("u1", 2), ("u3", 1)] {
        assert!(
            !store
                .replace_upstream_ciphertexts(id, version, &new)
                .await
                .expect("swap"),
            "{id} at version {version}"
        );
    }
    assert_eq!(
        store.upstream("u1").await.expect("upstream"),
        Some(direct.clone())
    );

    // The version read: the three ciphertexts replaced and the version
    // bumped; the times stay, since the tokens are the same.
    assert!(
        store
            .replace_upstream_ciphertexts("u1", 1, &new)
            .await
            .expect("swap")
    );
    let swapped = UpstreamRecord {
        podio_client_secret_enc: Some(vec![2, 7, 7]),
        access_token_enc: vec![2, 0xff, 1],
        refresh_token_enc: vec![2, 0x80, 2],
        version: 2,
        ..direct
    };
    assert_eq!(
        store.upstream("u1").await.expect("upstream"),
        Some(swapped.clone())
    );
    assert_eq!(
        store.upstream("u2").await.expect("upstream"),
        Some(upstream("u2"))
    );

    // A refresh that read before the swap loses, and the swap stands.
    assert!(
        !store
            .update_upstream_tokens("u1", 1, b"access-2", b"refresh-2", 9_000, 200)
            .await
            .expect("update")
    );
    assert_eq!(store.upstream("u1").await.expect("upstream"), Some(swapped));

    // A record without a Podio secret keeps none.
    let plain = ciphertexts(None, &[3], &[4]);
    assert!(
        store
            .replace_upstream_ciphertexts("u2", 1, &plain)
            .await
            .expect("swap")
    );
    let u2 = store
        .upstream("u2")
        .await
        .expect("upstream")
        .expect("found");
    assert_eq!(
        (u2.podio_client_secret_enc, u2.access_token_enc, u2.version),
        (None, vec![3], 2)
    );
}

async fn concurrent_swap_and_refresh_have_one_winner(store: Store) {
    store
        .insert_upstream(&upstream("u1"))
        .await
        .expect("insert");
    let swap = {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .replace_upstream_ciphertexts(
                    "u1",
                    1,
                    &ciphertexts(None, b"rewrapped-a", b"rewrapped-r"),
                )
                .await
                .expect("swap")
        })
    };
    let refresh = {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .update_upstream_tokens("u1", 1, b"refreshed-a", b"refreshed-r", 9_000, 200)
                .await
                .expect("update")
        })
    };
    let (swapped, refreshed) = (swap.await.expect("join"), refresh.await.expect("join"));
    assert!(
        swapped ^ refreshed,
        "exactly one wins: {swapped} {refreshed}"
    );
    let stored = store
        .upstream("u1")
        .await
        .expect("upstream")
        .expect("found");
    assert_eq!(stored.version, 2);
    let winner: &[u8] = if swapped {
        b"rewrapped-a"
    } else {
        b"refreshed-a"
    };
    assert_eq!(stored.access_token_enc, winner);
}

async fn grants_are_found_by_id(store: Store) {
    store
        .insert_upstream(&upstream("u1"))
        .await
        .expect("insert");
    let limited = GrantRecord {
        credential_mode: "direct".to_owned(),
        space_ids: vec![12, 9_000_000_001],
        org_ids: vec![3],
        upstream_id: Some("u1".to_owned()),
        last_used_at: Some(150),
        revoked_at: Some(160),
        scopes: vec![],
        ..grant("g1", "podio-client", "podio:1", 100)
    };
    let plain = grant("g2", "", "podio:1", 100);
    store.insert_grant(&limited).await.expect("insert");
    store.insert_grant(&plain).await.expect("insert");

    assert_eq!(store.grant("g1").await.expect("grant"), Some(limited));
    assert_eq!(store.grant("g2").await.expect("grant"), Some(plain));
    assert_eq!(store.grant("g3").await.expect("grant"), None);
}

async fn grants_of_is_newest_first(store: Store) {
    assert_eq!(store.grants_of("podio:1").await.expect("list"), vec![]);
    for (id, subject, created_at) in [
        ("old", "podio:1", 100),
        ("new", "podio:1", 300),
        ("mid", "podio:1", 200),
        ("mid-later", "podio:1", 200),
        ("someone-else", "podio:2", 250),
    ] {
        store
            .insert_grant(&grant(id, "c1", subject, created_at))
            .await
            .expect("insert");
    }
    store.revoke_grant("old", 400).await.expect("revoke");

    assert_eq!(
        ids(&store.grants_of("podio:1").await.expect("list"), |g| &g.id),
        ["new", "mid-later", "mid", "old"]
    );
    assert_eq!(
        ids(&store.grants_of("podio:2").await.expect("list"), |g| &g.id),
        ["someone-else"]
    );
    assert_eq!(store.grants_of("podio:3").await.expect("list"), vec![]);
}

async fn touch_grant_never_moves_back(store: Store) {
    store
        .insert_grant(&grant("g1", "c1", "podio:1", 100))
        .await
        .expect("insert");
    store
        .insert_grant(&grant("g2", "c1", "podio:1", 100))
        .await
        .expect("insert");

    assert!(store.touch_grant("g1", 500).await.expect("touch"));
    let last_used = |g: Option<GrantRecord>| g.expect("grant").last_used_at;
    assert_eq!(
        last_used(store.grant("g1").await.expect("grant")),
        Some(500)
    );
    assert!(store.touch_grant("g1", 400).await.expect("touch earlier"));
    assert_eq!(
        last_used(store.grant("g1").await.expect("grant")),
        Some(500)
    );
    assert!(store.touch_grant("g1", 600).await.expect("touch later"));
    assert_eq!(
        last_used(store.grant("g1").await.expect("grant")),
        Some(600)
    );

    assert_eq!(last_used(store.grant("g2").await.expect("grant")), None);
    assert!(!store.touch_grant("nope", 600).await.expect("touch"));
}

async fn revoke_grant_revokes_its_tokens_and_keeps_first_times(store: Store) {
    store
        .insert_grant(&grant("g1", "c1", "podio:1", 100))
        .await
        .expect("insert");
    store
        .insert_grant(&grant("g2", "c1", "podio:1", 100))
        .await
        .expect("insert");
    for (hash, kind, grant_id) in [
        ("a1", TokenKind::Access, "g1"),
        ("r1", TokenKind::Refresh, "g1"),
        ("early", TokenKind::Access, "g1"),
        ("a2", TokenKind::Access, "g2"),
    ] {
        store
            .insert_token(&token(hash, kind, grant_id, "family"))
            .await
            .expect("insert token");
    }
    assert!(
        store
            .revoke_token("early", 150)
            .await
            .expect("revoke token")
    );

    assert!(store.revoke_grant("g1", 200).await.expect("revoke"));
    assert!(store.revoke_grant("g1", 900).await.expect("revoke again"));
    assert!(
        !store
            .revoke_grant("nope", 900)
            .await
            .expect("revoke unknown")
    );

    assert_eq!(revoked_at_of_grant(&store, "g1").await, Some(200));
    assert_eq!(revoked_at_of_token(&store, "a1").await, Some(200));
    assert_eq!(revoked_at_of_token(&store, "r1").await, Some(200));
    assert_eq!(revoked_at_of_token(&store, "early").await, Some(150));
    // Same family, other grant: revoking a grant goes by grant, not family.
    assert_eq!(revoked_at_of_grant(&store, "g2").await, None);
    assert_eq!(revoked_at_of_token(&store, "a2").await, None);
}

async fn code_is_fresh_once_then_replayed(store: Store) {
    store
        .insert_grant(&grant("g1", "c1", "podio:1", 100))
        .await
        .expect("insert");
    let issued = code("code-1", "g1", 160);
    store.insert_code(&issued).await.expect("insert");
    store
        .insert_code(&code("code-2", "g1", 160))
        .await
        .expect("insert");

    let used = CodeRecord {
        used_at: Some(110),
        ..issued
    };
    assert_eq!(
        store.consume_code("code-1", 110).await.expect("consume"),
        CodeUse::Fresh(used.clone())
    );
    assert_eq!(
        store.consume_code("code-1", 120).await.expect("replay"),
        CodeUse::Replayed(used.clone())
    );
    // A replay after expiry is still a replay: the code may have leaked.
    assert_eq!(
        store
            .consume_code("code-1", 500)
            .await
            .expect("late replay"),
        CodeUse::Replayed(used)
    );
    assert!(matches!(
        store.consume_code("code-2", 120).await.expect("consume"),
        CodeUse::Fresh(_)
    ));
}

async fn expired_and_unknown_codes(store: Store) {
    store
        .insert_grant(&grant("g1", "c1", "podio:1", 100))
        .await
        .expect("insert");
    store
        .insert_code(&code("code-1", "g1", 160))
        .await
        .expect("insert");

    // Expired from `expires_at` on; an expired code is not marked used, so
    // asking again is not a replay.
    assert_eq!(
        store.consume_code("code-1", 160).await.expect("consume"),
        CodeUse::Expired
    );
    assert_eq!(
        store.consume_code("code-1", 161).await.expect("consume"),
        CodeUse::Expired
    );
    assert_eq!(
        store.consume_code("nope", 120).await.expect("consume"),
        CodeUse::Unknown
    );
}

async fn concurrent_consumes_yield_one_fresh(store: Store) {
    store
        .insert_grant(&grant("g1", "c1", "podio:1", 100))
        .await
        .expect("insert");
    store
        .insert_code(&code("code-1", "g1", 160))
        .await
        .expect("insert");
    let consumers: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .consume_code("code-1", 110 + i)
                    .await
                    .expect("consume")
            })
        })
        .collect();
    let mut fresh = Vec::new();
    let mut replayed = Vec::new();
    for consumer in consumers {
        match consumer.await.expect("consumer task") {
            CodeUse::Fresh(code) => fresh.push(code),
            CodeUse::Replayed(code) => replayed.push(code),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(fresh.len(), 1, "{fresh:?}");
    assert_eq!(replayed.len(), 7);
    assert!(replayed.iter().all(|r| r.used_at == fresh[0].used_at));
}

async fn tokens_are_found_by_hash(store: Store) {
    store
        .insert_grant(&grant("g1", "c1", "podio:1", 100))
        .await
        .expect("insert");
    let access = TokenRecord {
        scopes: Some(vec!["podio:read".to_owned()]),
        ..token("a1", TokenKind::Access, "g1", "f1")
    };
    let refresh = TokenRecord {
        expires_at: 2_592_100,
        used_at: Some(150),
        revoked_at: Some(160),
        ..token("r1", TokenKind::Refresh, "g1", "f1")
    };
    store.insert_token(&access).await.expect("insert");
    store.insert_token(&refresh).await.expect("insert");

    assert_eq!(store.token("a1").await.expect("token"), Some(access));
    assert_eq!(store.token("r1").await.expect("token"), Some(refresh));
    assert_eq!(store.token("nope").await.expect("token"), None);
}

async fn mark_refresh_used_returns_the_record_before(store: Store) {
    store
        .insert_grant(&grant("g1", "c1", "podio:1", 100))
        .await
        .expect("insert");
    let refresh = token("r1", TokenKind::Refresh, "g1", "f1");
    store.insert_token(&refresh).await.expect("insert");
    store
        .insert_token(&token("a1", TokenKind::Access, "g1", "f1"))
        .await
        .expect("insert");

    assert_eq!(
        store.mark_refresh_used("r1", 200).await.expect("mark"),
        Some(refresh.clone()),
        "first use: as it was, unused"
    );
    let used = TokenRecord {
        used_at: Some(200),
        ..refresh
    };
    assert_eq!(store.token("r1").await.expect("token"), Some(used.clone()));
    assert_eq!(
        store
            .mark_refresh_used("r1", 300)
            .await
            .expect("mark again"),
        Some(used.clone()),
        "replay: shows the first use"
    );
    assert_eq!(store.token("r1").await.expect("token"), Some(used));

    assert_eq!(
        store.mark_refresh_used("a1", 300).await.expect("mark"),
        None,
        "not a refresh token"
    );
    let access = store.token("a1").await.expect("token").expect("a1");
    assert_eq!(access.used_at, None);
    assert_eq!(
        store.mark_refresh_used("nope", 300).await.expect("mark"),
        None
    );
}

async fn concurrent_refreshes_have_one_first(store: Store) {
    store
        .insert_grant(&grant("g1", "c1", "podio:1", 100))
        .await
        .expect("insert");
    store
        .insert_token(&token("r1", TokenKind::Refresh, "g1", "f1"))
        .await
        .expect("insert");
    let refreshers: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .mark_refresh_used("r1", 200 + i)
                    .await
                    .expect("mark")
                    .expect("r1")
                    .used_at
            })
        })
        .collect();
    let mut earlier = Vec::new();
    for refresher in refreshers {
        earlier.push(refresher.await.expect("refresher task"));
    }
    let first = earlier.iter().filter(|used| used.is_none()).count();
    assert_eq!(first, 1, "{earlier:?}");
    let stored = store.token("r1").await.expect("token").expect("r1").used_at;
    assert!(earlier.iter().flatten().all(|used| Some(*used) == stored));
}

async fn revoke_family_counts_newly_revoked(store: Store) {
    store
        .insert_grant(&grant("g1", "c1", "podio:1", 100))
        .await
        .expect("insert");
    for (hash, family) in [
        ("a1", "f1"),
        ("r1", "f1"),
        ("r1-next", "f1"),
        ("other", "f2"),
    ] {
        store
            .insert_token(&token(hash, TokenKind::Refresh, "g1", family))
            .await
            .expect("insert");
    }
    assert!(store.revoke_token("r1", 150).await.expect("revoke"));

    assert_eq!(
        store.revoke_family("f1", 200).await.expect("revoke family"),
        2
    );
    assert_eq!(
        store.revoke_family("f1", 300).await.expect("revoke again"),
        0
    );
    assert_eq!(
        store
            .revoke_family("nope", 300)
            .await
            .expect("revoke unknown"),
        0
    );

    assert_eq!(revoked_at_of_token(&store, "a1").await, Some(200));
    assert_eq!(revoked_at_of_token(&store, "r1").await, Some(150));
    assert_eq!(revoked_at_of_token(&store, "r1-next").await, Some(200));
    assert_eq!(revoked_at_of_token(&store, "other").await, None);
}

async fn revoke_token_keeps_first_time(store: Store) {
    store
        .insert_grant(&grant("g1", "c1", "podio:1", 100))
        .await
        .expect("insert");
    store
        .insert_token(&token("a1", TokenKind::Access, "g1", "f1"))
        .await
        .expect("insert");
    store
        .insert_token(&token("a2", TokenKind::Access, "g1", "f1"))
        .await
        .expect("insert");

    assert!(store.revoke_token("a1", 200).await.expect("revoke"));
    assert!(store.revoke_token("a1", 300).await.expect("revoke again"));
    assert!(
        !store
            .revoke_token("nope", 300)
            .await
            .expect("revoke unknown")
    );
    assert_eq!(revoked_at_of_token(&store, "a1").await, Some(200));
    assert_eq!(revoked_at_of_token(&store, "a2").await, None);
}

fn assert_already_exists(result: Result<(), StoreError>, what: &str) {
    assert!(
        matches!(result, Err(StoreError::AlreadyExists)),
        "{what}: {result:?}"
    );
}

async fn duplicates_already_exist(store: Store) {
    let original_client = client("c1", None, 100);
    store.insert_client(&original_client).await.expect("insert");
    assert_already_exists(
        store
            .insert_client(&client("c1", Some("podio:1"), 200))
            .await,
        "client",
    );
    assert_eq!(
        store.client("c1").await.expect("client"),
        Some(original_client)
    );

    store
        .insert_upstream(&upstream("u1"))
        .await
        .expect("insert");
    let other = UpstreamRecord {
        version: 9,
        ..upstream("u1")
    };
    assert_already_exists(store.insert_upstream(&other).await, "upstream");
    assert_eq!(
        store.upstream("u1").await.expect("upstream"),
        Some(upstream("u1"))
    );

    store
        .insert_grant(&grant("g1", "c1", "podio:1", 100))
        .await
        .expect("insert");
    assert_already_exists(
        store.insert_grant(&grant("g1", "c2", "podio:2", 200)).await,
        "grant",
    );
    assert_eq!(
        store.grant("g1").await.expect("grant"),
        Some(grant("g1", "c1", "podio:1", 100))
    );

    store
        .insert_code(&code("code-1", "g1", 160))
        .await
        .expect("insert");
    assert_already_exists(store.insert_code(&code("code-1", "g1", 999)).await, "code");

    let access = token("t1", TokenKind::Access, "g1", "f1");
    store.insert_token(&access).await.expect("insert");
    assert_already_exists(
        store
            .insert_token(&token("t1", TokenKind::Refresh, "g1", "f2"))
            .await,
        "token",
    );
    assert_eq!(store.token("t1").await.expect("token"), Some(access));
}

async fn dangling_references_are_rejected(store: Store) {
    let with_missing_upstream = GrantRecord {
        upstream_id: Some("no-such-upstream".to_owned()),
        ..grant("g1", "c1", "podio:1", 100)
    };
    let result = store.insert_grant(&with_missing_upstream).await;
    assert!(matches!(result, Err(StoreError::Internal(_))), "{result:?}");
    assert_eq!(store.grant("g1").await.expect("grant"), None);

    let result = store
        .insert_token(&token("t1", TokenKind::Access, "no-such-grant", "f1"))
        .await;
    assert!(matches!(result, Err(StoreError::Internal(_))), "{result:?}");
    assert_eq!(store.token("t1").await.expect("token"), None);

    let result = store
        .insert_code(&code("code-1", "no-such-grant", 160))
        .await;
    assert!(matches!(result, Err(StoreError::Internal(_))), "{result:?}");
    assert_eq!(
        store.consume_code("code-1", 120).await.expect("consume"),
        CodeUse::Unknown
    );
}

async fn ping_succeeds(store: Store) {
    store.ping().await.expect("ping");
}
