-- An access token minted by a refresh that asked for fewer scopes than the
-- sign-in granted (RFC 6749 §6) carries the narrower set here; NULL means
-- the grant's scopes, as every token issued before had.
ALTER TABLE oauth_tokens ADD COLUMN scopes text[] NULL;
