-- Personal API tokens limited to chosen Podio workspaces (space ids) and
-- organizations; empty arrays mean no limit, so existing tokens keep
-- working as before. `last_used_at` (unix seconds) is refreshed at most once
-- a minute per token, so listing can show it without a write per request.
ALTER TABLE api_tokens
    ADD COLUMN space_ids    bigint[] NOT NULL DEFAULT '{}',
    ADD COLUMN org_ids      bigint[] NOT NULL DEFAULT '{}',
    ADD COLUMN last_used_at bigint NULL;
