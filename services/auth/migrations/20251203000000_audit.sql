-- The audit log: every write tool call and every token, client and grant
-- change, kept for PORTICO_AUDIT_RETENTION_DAYS.
CREATE TABLE audit_events (
    id BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    subject TEXT NOT NULL,
    client_id TEXT NOT NULL DEFAULT '',
    credential_mode TEXT NOT NULL DEFAULT '',
    action TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL,
    trace_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_subject_at ON audit_events (subject, at);
CREATE INDEX audit_events_client_at ON audit_events (client_id, at);
