-- The set-based evaluation: reference.py's semantics (read its docstring first), in DuckDB's
-- dialect, written once. The Spark engine runs these same statements transpiled by SQLGlot, so
-- only constructs both engines share are used (no QUALIFY, no GROUP BY ALL, no macros, integer
-- arithmetic only, subqueries aliased).
--
-- Inputs: the compiled tables (compiled.COMPILED_TABLES), the snapshot (compiled.SNAPSHOT_TABLES)
-- and eval_levels (level, rank) from compiled.LEVEL_RANK, all provided by engine.py; `results`
-- holds the results of the stages already evaluated (empty at stage 0).
-- Parameters, substituted as literals by engine.py: {as_of} (a DATE literal), {stage} (an int).
--
-- Each statement is a step, introduced by a line `-- @step NAME view|table [per-stage]`: the
-- engine makes the SELECT that follows a view or a materialized table called NAME. Steps without
-- `per-stage` run once for all models (matching, contributions, scores and raw grades); the
-- `per-stage` steps run for each stage in ascending order (overrides need earlier stages'
-- grades), and the engine appends `stage_results` to `results` after each.

-- @step model_ids table
-- small integer ids for models, indicators and dimensions: the big joins and groupings below run
-- on integers, the strings come back at the end
SELECT m.model, m.stage, m.base_milli, m.min_milli, m.max_milli,
       ROW_NUMBER() OVER (ORDER BY m.model) AS model_no
FROM eval_models AS m;

-- @step indicator_ids table
SELECT i.model, i.indicator, i.count_mode, i.min_total_milli, i.max_total_milli, i.decays, m.model_no,
       ROW_NUMBER() OVER (ORDER BY i.model, i.indicator) AS ind_no,
       DENSE_RANK() OVER (ORDER BY i.model, i.dimension) AS dim_no
FROM eval_indicators AS i
JOIN model_ids AS m ON m.model = i.model;

-- @step rule_ids table
SELECT i.model_no, r.rule_no, i.ind_no, r.points_milli
FROM eval_rules AS r
JOIN indicator_ids AS i ON i.model = r.model AND i.indicator = r.indicator;

-- @step evaluated table
-- the subjects each model evaluates (every one of them gets a result)
SELECT m.model_no, s.subject_id
FROM eval_kinds AS k
JOIN model_ids AS m ON m.model = k.model
JOIN subjects AS s ON s.kind = k.kind;

-- @step counted view
-- step 1: the facts that count on as_of, with their level's rank and their severity as a key
-- ('' for none). The subject's kind is checked after matching (kinds are per model, not per rule).
SELECT f.record_id, f.subject_id, f.item_code, f.decided_on, f.disclosure,
       COALESCE(l.rank, 0) AS level_rank, COALESCE(f.severity, '') AS severity_key
FROM facts AS f
LEFT JOIN eval_levels AS l ON l.level = f.authority_level
WHERE f.status = 'active'
  AND f.decided_on <= {as_of}
  AND (f.ends_on IS NULL OR f.ends_on >= {as_of});

-- @step rule_keys table
-- step 2, as a lookup table: every (item, disclosure, level rank, severity) combination a fact
-- can have, with the rules of each model that match it (severity keys: those of the facts)
SELECT m.model_no, r.rule_no, r.item_code, d.disclosure, l.level_rank, s.severity_key, r.field, r.value,
       CASE WHEN fp.model IS NULL THEN 0 ELSE 1 END AS by_field
FROM eval_rules AS r
JOIN model_ids AS m ON m.model = r.model
JOIN eval_disclosures AS d ON d.model = r.model
JOIN (SELECT 0 AS level_rank UNION ALL SELECT rank AS level_rank FROM eval_levels) AS l
  ON l.level_rank >= r.min_level
JOIN (SELECT DISTINCT COALESCE(severity, '') AS severity_key FROM facts) AS s
  ON r.severity IS NULL OR r.severity = s.severity_key
LEFT JOIN (SELECT DISTINCT model, item_code FROM eval_rules WHERE field IS NOT NULL) AS fp
  ON fp.model = r.model AND fp.item_code = r.item_code;

-- @step matched table
-- each counted fact under its matching rule of lowest rule_no, per model. Where no rule of the
-- model names a field for the fact's item, the first rule is known from the key alone: a plain
-- equality join. Otherwise the candidates are checked against the fact's attrs first.
SELECT f.record_id, f.subject_id, f.decided_on, p.model_no, p.rule_no
FROM counted AS f
JOIN (
    SELECT model_no, item_code, disclosure, level_rank, severity_key, MIN(rule_no) AS rule_no
    FROM rule_keys
    WHERE by_field = 0
    GROUP BY model_no, item_code, disclosure, level_rank, severity_key
) AS p
  ON p.item_code = f.item_code AND p.disclosure = f.disclosure
 AND p.level_rank = f.level_rank AND p.severity_key = f.severity_key
UNION ALL
SELECT c.record_id, c.subject_id, c.decided_on, c.model_no, MIN(c.rule_no) AS rule_no
FROM (
    SELECT f.record_id, f.subject_id, f.decided_on, k.model_no, k.rule_no
    FROM counted AS f
    JOIN rule_keys AS k
      ON k.item_code = f.item_code AND k.disclosure = f.disclosure
     AND k.level_rank = f.level_rank AND k.severity_key = f.severity_key
    LEFT JOIN attrs AS a
      ON a.record_id = f.record_id AND a.field = k.field AND a.value = k.value
    WHERE k.by_field = 1 AND (k.field IS NULL OR a.record_id IS NOT NULL)
) AS c
GROUP BY c.record_id, c.subject_id, c.decided_on, c.model_no;

-- @step contribution_rows table
-- steps 3-4: every fact of an "each" indicator, the subject's newest of a "latest" one; only
-- subjects of the model's kinds; decay by year of age (a fact weighing 0% contributes nothing)
SELECT w.ind_no, w.subject_id, w.record_id, w.points_milli * w.pct // 100 AS points_milli
FROM (
    SELECT k.ind_no, k.subject_id, k.record_id, k.points_milli,
           CASE WHEN k.decays THEN COALESCE(d.pct, 0) ELSE 100 END AS pct
    FROM (
        SELECT m.model_no, m.subject_id, m.record_id, m.decided_on, r.ind_no, r.points_milli, i.decays
        FROM matched AS m
        JOIN rule_ids AS r ON r.model_no = m.model_no AND r.rule_no = m.rule_no
        JOIN indicator_ids AS i ON i.ind_no = r.ind_no
        WHERE i.count_mode = 'each'
        UNION ALL
        SELECT n.model_no, n.subject_id, n.record_id, n.decided_on, n.ind_no, n.points_milli, n.decays
        FROM (
            SELECT m.model_no, m.subject_id, m.record_id, m.decided_on, r.ind_no, r.points_milli, i.decays,
                   ROW_NUMBER() OVER (
                       PARTITION BY m.subject_id, r.ind_no
                       ORDER BY m.decided_on DESC, m.record_id DESC
                   ) AS newest
            FROM matched AS m
            JOIN rule_ids AS r ON r.model_no = m.model_no AND r.rule_no = m.rule_no
            JOIN indicator_ids AS i ON i.ind_no = r.ind_no
            WHERE i.count_mode = 'latest'
        ) AS n
        WHERE n.newest = 1
    ) AS k
    JOIN evaluated AS e ON e.model_no = k.model_no AND e.subject_id = k.subject_id
    LEFT JOIN (
        SELECT i.ind_no, d.year, d.pct
        FROM eval_decay AS d
        JOIN indicator_ids AS i ON i.model = d.model AND i.indicator = d.indicator
    ) AS d
      ON d.ind_no = k.ind_no AND d.year = date_diff('day', k.decided_on, {as_of}) // 365
) AS w
WHERE w.pct > 0;

-- @step contributions view
SELECT i.model, c.subject_id, c.record_id, i.indicator, c.points_milli
FROM contribution_rows AS c
JOIN indicator_ids AS i ON i.ind_no = c.ind_no;

-- @step subject_totals view
-- step 5: indicator totals clamped, summed by dimension and clamped again, summed by model (only
-- indicators and dimensions with contributions are clamped, as in the reference)
SELECT dt.model_no, dt.subject_id, SUM(dt.total) AS total
FROM (
    SELECT t.model_no, t.subject_id,
           CASE WHEN dim.min_milli IS NOT NULL AND t.total < dim.min_milli THEN dim.min_milli
                WHEN dim.max_milli IS NOT NULL AND t.total > dim.max_milli THEN dim.max_milli
                ELSE t.total END AS total
    FROM (
        SELECT i.model_no, i.dim_no, it.subject_id,
               SUM(CASE WHEN i.min_total_milli IS NOT NULL AND it.total < i.min_total_milli THEN i.min_total_milli
                        WHEN i.max_total_milli IS NOT NULL AND it.total > i.max_total_milli THEN i.max_total_milli
                        ELSE it.total END) AS total
        FROM (
            SELECT ind_no, subject_id, SUM(points_milli) AS total
            FROM contribution_rows
            GROUP BY ind_no, subject_id
        ) AS it
        JOIN indicator_ids AS i ON i.ind_no = it.ind_no
        GROUP BY i.model_no, i.dim_no, it.subject_id
    ) AS t
    JOIN (
        SELECT DISTINCT i.dim_no, dim.min_milli, dim.max_milli
        FROM indicator_ids AS i
        JOIN eval_indicators AS ei ON ei.model = i.model AND ei.indicator = i.indicator
        JOIN eval_dimensions AS dim ON dim.model = ei.model AND dim.dimension = ei.dimension
    ) AS dim ON dim.dim_no = t.dim_no
) AS dt
GROUP BY dt.model_no, dt.subject_id;

-- @step scores table
-- steps 5-6: every subject the model evaluates: base + dimension totals, clamped to the scale;
-- the raw grade by the thresholds (the top grade includes the scale's max)
SELECT s.model, s.stage, s.subject_id, s.score_milli, g.grade AS raw_grade, g.rank AS raw_rank
FROM (
    SELECT m.model, m.stage, m.max_milli, e.subject_id,
           CASE WHEN m.base_milli + COALESCE(t.total, 0) < m.min_milli THEN m.min_milli
                WHEN m.base_milli + COALESCE(t.total, 0) > m.max_milli THEN m.max_milli
                ELSE m.base_milli + COALESCE(t.total, 0) END AS score_milli
    FROM model_ids AS m
    JOIN evaluated AS e ON e.model_no = m.model_no
    LEFT JOIN subject_totals AS t ON t.model_no = e.model_no AND t.subject_id = e.subject_id
) AS s
JOIN eval_grades AS g
  ON g.model = s.model
 AND g.from_milli <= s.score_milli
 AND (s.score_milli < g.to_milli OR (s.score_milli = g.to_milli AND g.to_milli = s.max_milli));

-- @step applicable view per-stage
-- step 7: the overrides of this stage's models that apply: the subject is on the list, or its
-- grade under an earlier stage's model is one the override names
SELECT o.model, mem.subject_id, o.seq, o.action, o.grade
FROM eval_overrides AS o
JOIN eval_models AS m ON m.model = o.model AND m.stage = {stage}
JOIN members AS mem ON mem.list_code = o.list_code
WHERE o.list_code IS NOT NULL
UNION
SELECT o.model, r.subject_id, o.seq, o.action, o.grade
FROM eval_overrides AS o
JOIN eval_models AS m ON m.model = o.model AND m.stage = {stage}
JOIN results AS r ON r.model = o.dep_model AND r.grade = o.dep_grade
WHERE o.list_code IS NULL;

-- @step decisive view per-stage
-- the override that decides, per subject: the "set" of lowest seq; else the worst "at_most"
-- grade, lowest seq first
SELECT x.model, x.subject_id, x.seq, x.action, x.grade, x.rank
FROM (
    SELECT a.model, a.subject_id, a.seq, a.action, a.grade, g.rank,
           ROW_NUMBER() OVER (
               PARTITION BY a.model, a.subject_id
               ORDER BY CASE WHEN a.action = 'set' THEN 0 ELSE 1 END,
                        CASE WHEN a.action = 'set' THEN a.seq ELSE -g.rank END,
                        a.seq
           ) AS pick
    FROM applicable AS a
    JOIN eval_grades AS g ON g.model = a.model AND g.grade = a.grade
) AS x
WHERE x.pick = 1;

-- @step stage_results table per-stage
-- the grade after overrides: a "set" always decides; an "at_most" only when it is worse
SELECT s.model, s.subject_id, s.score_milli, s.raw_grade,
       CASE WHEN d.action = 'set' OR d.rank > s.raw_rank THEN d.grade ELSE s.raw_grade END AS grade,
       CASE WHEN d.action = 'set' OR d.rank > s.raw_rank THEN d.seq END AS override_seq
FROM scores AS s
LEFT JOIN decisive AS d ON d.model = s.model AND d.subject_id = s.subject_id
WHERE s.stage = {stage};
