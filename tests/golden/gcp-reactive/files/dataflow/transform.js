/**
 * Dataflow UDF of the raw -> curated job (Google "Text Files on Cloud Storage to BigQuery").
 *
 * Called once per line of the raw files; returns the staging row as a JSON string whose fields
 * match staging_schema.json. It never throws: a line it cannot curate comes back with `error`
 * set and the line in `payload`, and the pipeline's curate step moves such rows to the
 * quarantine table instead of the curated one (one bad line never stops a load). Put cleaning and
 * feature logic in curate(), then re-apply Terraform: the file is uploaded to the Dataflow bucket
 * and read by the next run.
 *
 * Expected input: one JSON object per line with at least "id"; "event_time" (ISO 8601) and
 * "source" are optional.
 */
function curate(line, now) {
  var record = JSON.parse(line);
  if (record === null || typeof record !== "object" || Array.isArray(record)) {
    throw new Error("expected one JSON object per line");
  }
  if (record.id === undefined || record.id === null || String(record.id) === "") {
    throw new Error("record without an id");
  }
  var eventTime = now;
  if (record.event_time) {
    var parsed = new Date(record.event_time);
    if (isNaN(parsed.getTime())) {
      throw new Error("event_time is not a date");
    }
    eventTime = parsed.toISOString();
  }
  return {
    record_id: String(record.id),
    event_time: eventTime,
    source: record.source ? String(record.source) : "unknown",
    payload: line,
    ingested_at: now,
    error: null
  };
}

function transform(line) {
  var now = new Date().toISOString();
  try {
    return JSON.stringify(curate(line, now));
  } catch (e) {
    return JSON.stringify({
      record_id: null,
      event_time: null,
      source: null,
      payload: line,
      ingested_at: now,
      error: String((e && e.message) || e)
    });
  }
}
