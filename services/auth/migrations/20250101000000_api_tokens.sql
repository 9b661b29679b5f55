-- Personal API tokens. Only the SHA-256 hash of a token is stored; the hint is
-- its first characters so an operator can recognise it in a listing.
-- Times are unix seconds. `seq` breaks ties between tokens created in the same
-- second so "newest first" is well defined.
CREATE TABLE api_tokens (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    scopes      text[] NOT NULL,
    token_hash  text NOT NULL UNIQUE,
    token_hint  text NOT NULL,
    created_at  bigint NOT NULL,
    revoked_at  bigint NULL,
    seq         bigint GENERATED ALWAYS AS IDENTITY
);

CREATE INDEX api_tokens_newest_first ON api_tokens (created_at DESC, seq DESC);
