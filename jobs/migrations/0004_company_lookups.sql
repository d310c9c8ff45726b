-- Answers of the "Recherche d'entreprises" API, one row per SIRET, with their fetch time; and a
-- fetch claim (owner and expiry) so that a burst of jobs for one company makes one call across
-- the fleet. Portable like 0001.
CREATE TABLE company_lookups (
    siret TEXT PRIMARY KEY,
    body TEXT,
    fetched_at BIGINT,
    fetch_owner TEXT,
    fetch_until BIGINT
);

-- The fleet's shared pace for an external API: the time of the next free slot. Every call takes
-- a slot with one atomic UPDATE, so every worker process of the fleet shares one limit.
CREATE TABLE api_pace (
    name TEXT PRIMARY KEY,
    next_slot_at BIGINT NOT NULL
);
INSERT INTO api_pace (name, next_slot_at) VALUES ('recherche_entreprises', 0);
