-- The OAuth 2.1 authorization server's state. Additive: api_tokens is untouched.
-- Codes, tokens and client secrets are stored as SHA-256 hashes; Podio secrets
-- and tokens (which must be sent upstream as they are) as AES-256-GCM
-- ciphertext (`*_enc`, bytea), encrypted by the service. Times are unix
-- seconds. `seq` breaks ties between rows created in the same second so
-- "newest first" is well defined.

-- OAuth clients: registered by MCP clients (RFC 7591) or created by a user
-- for a custom back end (integration, acting for `owner_subject`).
CREATE TABLE oauth_clients (
    client_id                   text PRIMARY KEY,
    kind                        text NOT NULL CHECK (kind IN ('registered', 'integration')),
    name                        text NOT NULL,
    redirect_uris               text[] NOT NULL,
    grant_types                 text[] NOT NULL,
    token_endpoint_auth_method  text NOT NULL,
    secret_hash                 text NULL,
    secret_hint                 text NULL,
    owner_subject               text NULL,
    scopes                      text[] NOT NULL,
    podio_client_id             text NULL,
    podio_client_secret_enc     bytea NULL,
    metadata_json               text NOT NULL,
    created_at                  bigint NOT NULL,
    revoked_at                  bigint NULL,
    seq                         bigint GENERATED ALWAYS AS IDENTITY
);

CREATE INDEX oauth_clients_by_owner ON oauth_clients (owner_subject, created_at DESC, seq DESC)
    WHERE owner_subject IS NOT NULL;

-- Podio tokens held for a user; `version` guards concurrent refreshes.
CREATE TABLE upstream_credentials (
    id                       text PRIMARY KEY,
    subject                  text NOT NULL,
    podio_user_id            bigint NOT NULL,
    podio_client_id          text NOT NULL,
    podio_client_secret_enc  bytea NULL,
    access_token_enc         bytea NOT NULL,
    refresh_token_enc        bytea NOT NULL,
    expires_at               bigint NOT NULL,
    updated_at               bigint NOT NULL,
    version                  bigint NOT NULL
);

-- A user's consent. `client_id` is not a foreign key: in direct mode it is a
-- Podio client id, in default mode empty.
CREATE TABLE grants (
    id               text PRIMARY KEY,
    client_id        text NOT NULL,
    subject          text NOT NULL,
    credential_mode  text NOT NULL,
    scopes           text[] NOT NULL,
    space_ids        bigint[] NOT NULL,
    org_ids          bigint[] NOT NULL,
    upstream_id      text NULL REFERENCES upstream_credentials (id),
    resource         text NOT NULL,
    created_at       bigint NOT NULL,
    last_used_at     bigint NULL,
    revoked_at       bigint NULL,
    seq              bigint GENERATED ALWAYS AS IDENTITY
);

CREATE INDEX grants_of_subject ON grants (subject, created_at DESC, seq DESC);
CREATE INDEX grants_by_client ON grants (client_id);

-- Access and refresh tokens. A family is every token descended from one code.
CREATE TABLE oauth_tokens (
    token_hash  text PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('access', 'refresh')),
    grant_id    text NOT NULL REFERENCES grants (id),
    family_id   text NOT NULL,
    expires_at  bigint NOT NULL,
    created_at  bigint NOT NULL,
    used_at     bigint NULL,
    revoked_at  bigint NULL
);

CREATE INDEX oauth_tokens_by_grant ON oauth_tokens (grant_id);
CREATE INDEX oauth_tokens_by_family ON oauth_tokens (family_id);

-- Authorization codes, single use (`used_at`).
CREATE TABLE authorization_codes (
    code_hash       text PRIMARY KEY,
    grant_id        text NOT NULL REFERENCES grants (id),
    client_id       text NOT NULL,
    redirect_uri    text NOT NULL,
    code_challenge  text NOT NULL,
    resource        text NOT NULL,
    expires_at      bigint NOT NULL,
    used_at         bigint NULL
);
