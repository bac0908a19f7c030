-- Passages, embeddings and frame labels.

create table core.passages (
    article_id   varchar not null,
    idx          integer not null,
    kind         varchar not null,   -- headline | body
    text         varchar not null,
    text_sha256  varchar not null,
    primary key (article_id, idx)
);

-- Computed once per (model, passage text): a re-run embeds only new text.
create table core.embeddings (
    model_id     varchar not null,
    text_sha256  varchar not null,
    vector       float[] not null,
    created_at   timestamp not null default current_timestamp,
    primary key (model_id, text_sha256)
);

-- What produced a set of labels: model, codebook and calibration versions.
create table core.label_versions (
    label_version          varchar primary key,
    model_id               varchar not null,
    codebook_id            varchar not null,
    codebook_version       varchar not null,
    codebook_fingerprint   varchar not null,
    calibration_version    varchar,
    codebook_toml          varchar,
    created_at             timestamp not null default current_timestamp
);

-- The frames of each codebook version, so labels stay readable after the codebook changes.
create table core.codebook_frames (
    codebook_fingerprint  varchar not null,
    frame_id              varchar not null,
    label                 varchar not null,
    definition            varchar,
    position              integer not null,
    primary key (codebook_fingerprint, frame_id)
);

-- The current labels of each article: one row per (article, frame).
create table core.frame_labels (
    article_id     varchar not null,
    frame_id       varchar not null,
    score          double not null,
    present        boolean not null,
    is_primary     boolean not null,
    label_version  varchar not null,
    labelled_at    timestamp not null,
    primary key (article_id, frame_id)
);

-- The passages that justify each present frame, best first.
create table core.frame_evidence (
    article_id     varchar not null,
    frame_id       varchar not null,
    rank           integer not null,
    passage_idx    integer not null,
    score          double not null,
    label_version  varchar not null,
    primary key (article_id, frame_id, rank)
);

-- Clusters of passages no frame claims: candidate new framings, matched across runs by centroid.
create table core.emerging_clusters (
    cluster_id       varchar primary key,
    first_seen_week  varchar not null,
    last_seen_week   varchar not null,
    keywords         varchar[],
    centroid         float[],
    size             integer not null,
    label_version    varchar,
    updated_at       timestamp not null
);

create table core.emerging_members (
    cluster_id   varchar not null,
    article_id   varchar not null,
    passage_idx  integer not null,
    week         varchar not null,
    similarity   double,
    primary key (cluster_id, article_id, passage_idx)
);

-- Each stage run of the pipeline (for `framewatch status` and the report's method box).
create table core.stage_runs (
    run_id       varchar not null,
    stage        varchar not null,  -- crawl | clean | frame | report
    started_at   timestamp not null,
    finished_at  timestamp,
    status       varchar not null,  -- running | finished | failed
    rows_in      bigint,
    rows_out     bigint,
    seconds      double,
    message      varchar,
    primary key (run_id, stage)
);
