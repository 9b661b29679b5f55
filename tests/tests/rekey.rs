//! Rekeying through the microservices shape with the real binary's
//! `portico admin rekey`: after a sign-in through a client that brought its
//! own Podio key, a dry run and a real run list every kind of stored secret
//! as already under the current key (exit 0), the real run is in the audit
//! log, a secret under a key the service does not hold is counted
//! undecryptable, left as it is, and makes the command fail, and without
//! the admin secret the command is refused.

use podio_sim::seed;
use portico::admin::AdminClient;
use portico_auth::{ClientKind, ClientRecord, Keyring, OAuthStore as _, PgOAuthStore};
use portico_runtime::env::map;
use portico_tests::oauth::{Authorize, OAuthClient, loopback_redirect};
use portico_tests::processes::run_portico;
use portico_tests::{ADMIN_SECRET, start_microservices};
use serde_json::json;

/// Sign-in as Jane, podio-sim's demo user.
const JANE: (&str, &str) = (seed::DEV_USERNAME, seed::DEV_PASSWORD);

/// What `portico admin rekey` printed and how it ended.
#[derive(Debug)]
struct Run {
    success: bool,
    current_key: String,
    /// The third column's header: `rewrapped`, or `would rewrap`.
    rewrapped_header: String,
    /// Per kind (and `total`): examined, rewrapped, already current,
    /// undecryptable, contended.
    rows: Vec<(String, [u64; 5])>,
    stderr: String,
}

impl Run {
    fn row(&self, kind: &str) -> anyhow::Result<[u64; 5]> {
        self.rows
            .iter()
            .find(|(k, _)| k == kind)
            .map(|(_, counts)| *counts)
            .ok_or_else(|| anyhow::anyhow!("no {kind} row in {self:#?}"))
    }
}

/// Runs `portico admin rekey <args>` against `auth_url` with `secret` and
/// parses its listing (header checked), whatever its exit status.
async fn rekey(auth_url: &str, secret: Option<&str>, args: &[&str]) -> anyhow::Result<Run> {
    let mut env = vec![("PORTICO_AUTH_URL", auth_url)];
    env.extend(secret.map(|s| ("PORTICO_ADMIN_SECRET", s)));
    let mut argv = vec!["admin", "rekey"];
    argv.extend_from_slice(args);
    let (status, stdout, stderr) = run_portico(&argv, &env).await?;
    let mut lines = stdout.lines();
    let current_key = lines
        .next()
        .and_then(|l| l.strip_prefix("current key: "))
        .unwrap_or_default()
        .to_owned();
    let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
    let mut rows = Vec::new();
    if !stdout.is_empty() {
        anyhow::ensure!(
            header.len() == 6
                && header[0] == "kind"
                && header[1] == "examined"
                && header[3..] == ["already current", "undecryptable", "contended"],
            "{stdout}"
        );
        for line in lines {
            let cells: Vec<&str> = line.split('\t').collect();
            anyhow::ensure!(cells.len() == 6, "a row of 6 cells: {line:?}");
            let mut counts = [0; 5];
            for (count, cell) in counts.iter_mut().zip(&cells[1..]) {
                *count = cell.parse()?;
            }
            rows.push((cells[0].to_owned(), counts));
        }
    }
    Ok(Run {
        success: status.success(),
        current_key,
        rewrapped_header: header.get(2).copied().unwrap_or_default().to_owned(),
        rows,
        stderr,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_rekey_lists_every_stored_secret_and_refuses_to_bless_undecryptable_ones()
-> anyhow::Result<()> {
    let stack = start_microservices().await?;
    let outcome = async {
        let auth_url = stack.grpc_url(portico_auth::SERVICE_NAME)?;
        let admin = AdminClient::from_env(&map(&[
            ("PORTICO_AUTH_URL", &auth_url),
            ("PORTICO_ADMIN_SECRET", ADMIN_SECRET),
        ]))?;

        // Stored secrets: the client's Podio secret, and the Podio access
        // and refresh tokens of the sign-in through it.
        let oauth = OAuthClient::new(&stack)?;
        let redirect = loopback_redirect();
        let (_, client_id) = oauth
            .registered(&json!({
                "client_name": "Jane's agent",
                "redirect_uris": [redirect],
                "podio_client_id": seed::JANE_CLIENT_ID,
                "podio_client_secret": seed::JANE_CLIENT_SECRET,
            }))
            .await?;
        let request = Authorize::new(&client_id, &redirect).podio_key(seed::JANE_CLIENT_ID);
        oauth.tokens(&request, JANE, None).await?;
        let expected = [
            ("oauth_client.podio_client_secret", [1, 0, 1, 0, 0]),
            ("upstream.podio_client_secret", [0, 0, 0, 0, 0]),
            ("upstream.access_token", [1, 0, 1, 0, 0]),
            ("upstream.refresh_token", [1, 0, 1, 0, 0]),
            ("total", [3, 0, 3, 0, 0]),
        ];

        // Everything was written under the one key there is.
        let dry = rekey(&auth_url, Some(ADMIN_SECRET), &["--dry-run"]).await?;
        anyhow::ensure!(dry.success, "{dry:#?}");
        anyhow::ensure!(dry.current_key == "e2e", "{dry:#?}");
        anyhow::ensure!(dry.rewrapped_header == "would rewrap", "{dry:#?}");
        let kinds: Vec<&str> = dry.rows.iter().map(|(k, _)| k.as_str()).collect();
        anyhow::ensure!(
            kinds == expected.map(|(k, _)| k),
            "every kind, then the total: {dry:#?}"
        );
        for (kind, counts) in expected {
            anyhow::ensure!(dry.row(kind)? == counts, "{kind}: {dry:#?}");
        }
        anyhow::ensure!(dry.stderr.contains("Dry run, nothing written"), "{dry:#?}");

        let done = rekey(&auth_url, Some(ADMIN_SECRET), &[]).await?;
        anyhow::ensure!(done.success, "{done:#?}");
        anyhow::ensure!(done.rewrapped_header == "rewrapped", "{done:#?}");
        for (kind, counts) in expected {
            anyhow::ensure!(done.row(kind)? == counts, "{kind}: {done:#?}");
        }
        anyhow::ensure!(
            done.stderr.contains("Every stored secret is under key e2e"),
            "{done:#?}"
        );
        // The real run is audited, the dry run not.
        let events = admin.audit(Some("admin"), None, None, 100).await?;
        let rekeys: Vec<_> = events
            .iter()
            .filter(|e| e.action == "encryption.rekey")
            .collect();
        anyhow::ensure!(rekeys.len() == 1, "{events:#?}");
        anyhow::ensure!(rekeys[0].target == "encryption_key:e2e", "{rekeys:#?}");
        anyhow::ensure!(
            rekeys[0].outcome == "ok: 0 rewrapped, 3 already current, 0 undecryptable, 0 contended",
            "{rekeys:#?}"
        );

        // A client whose Podio secret is under a key the service does not
        // hold (written by a replica with another keyring, or before its key
        // was removed): counted, left as it is, and the command fails.
        let database_url = stack
            .database_url()
            .ok_or_else(|| anyhow::anyhow!("the stack has no database"))?;
        let store = PgOAuthStore::connect(database_url).await?;
        let stray_id = "mcp-client-under-a-lost-key";
        let lost = Keyring::parse("lost:QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8=")?;
        let stray = ClientRecord {
            client_id: stray_id.to_owned(),
            kind: ClientKind::Registered,
            name: "stray".to_owned(),
            redirect_uris: vec![redirect.clone()],
            grant_types: vec!["authorization_code".to_owned(), "refresh_token".to_owned()],
            token_endpoint_auth_method: "none".to_owned(),
            secret_hash: None,
            secret_hint: None,
            owner_subject: None,
            scopes: vec!["podio:read".to_owned()],
            podio_client_id: Some(seed::JANE_CLIENT_ID.to_owned()),
            podio_client_secret_enc: Some(lost.encrypt(
                b"a podio secret",
                format!("oauth_clients:{stray_id}:podio_client_secret_enc").as_bytes(),
            )?),
            metadata_json: "{}".to_owned(),
            created_at: 100,
            revoked_at: None,
        };
        store.insert_client(&stray).await?;
        let checked = async {
            for args in [&["--dry-run"][..], &[]] {
                let run = rekey(&auth_url, Some(ADMIN_SECRET), args).await?;
                anyhow::ensure!(!run.success, "{args:?} must fail: {run:#?}");
                anyhow::ensure!(
                    run.row("oauth_client.podio_client_secret")? == [2, 0, 1, 1, 0],
                    "{run:#?}"
                );
                anyhow::ensure!(run.row("total")? == [4, 0, 3, 1, 0], "{run:#?}");
                anyhow::ensure!(
                    run.stderr
                        .contains("1 stored secret(s) cannot be decrypted by any key")
                        && run.stderr.contains("do not remove a key"),
                    "{run:#?}"
                );
            }
            anyhow::ensure!(
                store.client(stray_id).await?.as_ref() == Some(&stray),
                "the undecryptable secret is left byte for byte"
            );
            anyhow::Ok(())
        }
        .await;
        store.close().await;
        checked?;

        // Without the admin secret nothing is rekeyed.
        let refused = rekey(&auth_url, None, &[]).await?;
        anyhow::ensure!(
            !refused.success && refused.rows.is_empty() && refused.stderr.contains("admin secret"),
            "{refused:#?}"
        );
        anyhow::Ok(())
    }
    .await;
    stack.stop().await?;
    outcome
}
