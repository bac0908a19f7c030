-- Units of work (a batch of pages or articles) claimed by one worker at a time, so a unit is
-- processed once even when a scheduler runs its task again (warehouse/claims.py). A claim has
-- an owner and a lease; an unfinished unit whose lease ran out may be claimed again.
-- On a DuckLake warehouse this table lives in the catalog's PostgreSQL instead (same columns),
-- where its primary key makes two workers' claims of one unit exclusive.
create table if not exists core.work_claims (
    stage             varchar not null,   -- clean | frame | ...
    unit_id           varchar not null,
    owner             varchar not null,   -- worker that holds or finished the unit
    claimed_at        timestamp not null,
    lease_expires_at  timestamp not null,
    attempts          integer not null,   -- 1 + times the unit was taken over after a lease ran out
    completed_at      timestamp,
    primary key (stage, unit_id)
);

-- On a DuckLake warehouse, which version of warehouse/views/*.sql the shared catalog holds:
-- writers recreate the views only when the files changed (warehouse/db.py).
create table core.view_definitions (
    fingerprint  varchar not null,
    created_at   timestamp not null
);
