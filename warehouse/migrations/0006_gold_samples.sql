-- Gold labels for prevalence estimates (`framewatch annotate export|import`, issue 15).

-- Each article drawn into an annotation sample, with the design it was drawn under. A share
-- estimate can use a gold label only when it knows how likely its article was to be drawn:
-- simple random samples and samples stratified by week or outlet record that probability;
-- the "spread" design (round-robin over predicted frames, for calibration) does not.
create table core.annotation_samples (
    sample_id              varchar not null,  -- one `annotate export` draw
    article_id             varchar not null,
    design                 varchar not null,  -- simple | stratified | spread
    stratify_by            varchar,           -- week | outlet (stratified designs)
    stratum                varchar,           -- the article's week or outlet
    stratum_size           integer,           -- articles the stratum (or, simple: the frame) held
    inclusion_probability  double,            -- null for the spread design
    label_version          varchar,           -- the labels the candidates carried when drawn
    drawn_at               timestamp not null default current_timestamp,
    primary key (sample_id, article_id)
);

-- Labels read back from annotated sheets, one row per (article, coder, frame): what the coder
-- marked, and the sample the article came from (its design). Importing a coder's sheet again
-- replaces that coder's rows for those articles.
create table core.gold_labels (
    article_id            varchar not null,
    coder                 varchar not null,
    codebook_fingerprint  varchar not null,
    frame_id              varchar not null,
    present               boolean not null,
    is_primary            boolean not null,
    sample_id             varchar,            -- null: the sheet did not come from a recorded sample
    imported_at           timestamp not null default current_timestamp,
    primary key (article_id, coder, codebook_fingerprint, frame_id)
);

-- The rows a calibration was trained on, each with the probabilities a calibration fitted on the
-- other folds gave it (pipeline/framing/crossfit.py): how wrong the labeller is on rows it did
-- not see, which a quantifier needs to correct weeks without gold labels.
create table core.calibration_holdout (
    calibration_version  varchar not null,
    row_id               varchar not null,
    frame_id             varchar not null,
    probability          double not null,
    gold                 boolean not null,
    is_primary           boolean not null,
    primary key (calibration_version, row_id, frame_id)
);
