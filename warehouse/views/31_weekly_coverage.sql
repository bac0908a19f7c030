-- weekly_coverage: per ISO week and outlet, articles collected, in scope, and duplicates.
create or replace view weekly_coverage as
select
    week,
    source_id,
    outlet,
    count(*)                                            as n_articles,
    count(*) filter (where in_scope)                    as n_in_scope,
    count(*) filter (where in_scope and not is_duplicate) as n_in_scope_unique,
    count(*) filter (where is_duplicate)                as n_duplicates
from articles
group by week, source_id, outlet
order by week, source_id;
