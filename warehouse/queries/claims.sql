-- Named queries of warehouse/claims.py: units of work claimed in the shared warehouse. The same
-- text runs on DuckDB (the single file) and, with `?` as `%s`, on the lake's PostgreSQL catalog,
-- where core.work_claims has a real primary key. Each block starts with "-- name: <key>".

-- name: claim
-- Take the units nobody holds, those whose lease ran out unfinished, and renew the caller's own;
-- returns the ids the caller now holds. Parameters: stage, unit ids (a list), owner, lease seconds.
insert into core.work_claims as c
    (stage, unit_id, owner, claimed_at, lease_expires_at, attempts, completed_at)
select ?, unnest(?::varchar[]), ?, now(), now() + (? * interval '1 second'), 1, null
on conflict (stage, unit_id) do update set
    owner = excluded.owner,
    claimed_at = excluded.claimed_at,
    lease_expires_at = excluded.lease_expires_at,
    attempts = c.attempts + case when c.owner = excluded.owner then 0 else 1 end
where c.completed_at is null and (c.lease_expires_at < excluded.claimed_at or c.owner = excluded.owner)
returning unit_id;

-- name: complete
-- Mark units the caller holds as done; returns the ids marked. Parameters: stage, unit ids, owner.
update core.work_claims set completed_at = now()
where stage = ? and unit_id = any(?::varchar[]) and owner = ? and completed_at is null
returning unit_id;

-- name: release
-- Give up units the caller holds unfinished (it failed on them): anyone may claim them now.
-- Parameters: stage, unit ids, owner.
delete from core.work_claims
where stage = ? and unit_id = any(?::varchar[]) and owner = ? and completed_at is null
returning unit_id;

-- name: reclaim_expired
-- Free every unfinished unit of a stage whose lease ran out (its worker died); returns their ids.
-- Parameters: stage.
delete from core.work_claims
where stage = ? and completed_at is null and lease_expires_at < now()
returning unit_id;

-- name: completed_units
-- Parameters: stage, unit ids.
select unit_id from core.work_claims
where stage = ? and unit_id = any(?::varchar[]) and completed_at is not null;

-- name: stage_summary
-- Parameters: stage.
select
    count(*) filter (where completed_at is not null)                               as completed,
    count(*) filter (where completed_at is null and lease_expires_at >= now())     as held,
    count(*) filter (where completed_at is null and lease_expires_at < now())      as expired,
    coalesce(sum(attempts - 1), 0)                                                 as takeovers
from core.work_claims
where stage = ?;

-- name: stage_units
-- Every claimed unit of a stage: who holds or finished it, how often it was taken over.
-- Parameters: stage.
select unit_id, owner, attempts, completed_at is not null as completed
from core.work_claims
where stage = ?
order by unit_id;
