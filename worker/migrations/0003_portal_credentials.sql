-- Client companies' logins on their OPCO portals, encrypted by the worker (AES-256-GCM) under the
-- master key named by key_id; the store never sees them in the clear. Portable like 0001.
CREATE TABLE portal_credentials (
    opco TEXT NOT NULL,
    account TEXT NOT NULL,
    key_id TEXT NOT NULL,
    nonce TEXT NOT NULL,
    ciphertext TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (opco, account)
);
