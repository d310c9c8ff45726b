-- Funding requests (filings) followed from the first prefill to the OPCO's answer, their history
-- (which is also the staff audit trail) and the review page's staff sessions. A filing's id is
-- the id of the prefill_filing job that created it.
CREATE TABLE filings (
    id TEXT PRIMARY KEY REFERENCES jobs (id),
    opco TEXT NOT NULL,
    account TEXT NOT NULL,
    company_siret TEXT NOT NULL,
    trainee TEXT NOT NULL,
    action_title TEXT NOT NULL,
    start_date TEXT NOT NULL,
    state TEXT NOT NULL,
    state_code TEXT,
    state_message TEXT,
    review TEXT,
    current_job_id TEXT NOT NULL,
    submit_job_id TEXT,
    dossier TEXT,
    receipt TEXT,
    portal_status TEXT,
    portal_label TEXT,
    submitted_at BIGINT,
    status_changed_at BIGINT,
    last_polled_at BIGINT,
    overdue_since BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX filings_state ON filings (state, created_at);
CREATE INDEX filings_account ON filings (opco, account, state);
CREATE UNIQUE INDEX filings_dossier ON filings (opco, dossier);

CREATE TABLE filing_events (
    id TEXT PRIMARY KEY,
    filing_id TEXT NOT NULL REFERENCES filings (id),
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    detail TEXT
);
CREATE INDEX filing_events_filing ON filing_events (filing_id, id);

CREATE TABLE staff_sessions (
    token_hash TEXT PRIMARY KEY,
    login TEXT NOT NULL,
    csrf TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
