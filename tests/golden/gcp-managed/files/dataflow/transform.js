/**
 * Dataflow UDF of the raw -> curated job (Google "Text Files on Cloud Storage to BigQuery").
 *
 * Called once per line of the raw files; returns the curated row as a JSON string whose
 * fields match curated_schema.json. Put cleaning and feature logic here, then re-apply
 * Terraform: the file is uploaded to the artifacts bucket and read by the next run.
 *
 * Expected input: one JSON object per line with at least "id"; "event_time" (ISO 8601) and
 * "source" are optional. Lines that are not JSON objects fail and are reported by the job.
 */
function transform(line) {
  var record = JSON.parse(line);
  if (record === null || typeof record !== "object" || Array.isArray(record)) {
    throw new Error("expected one JSON object per line");
  }
  if (record.id === undefined || record.id === null || String(record.id) === "") {
    throw new Error("record without an id");
  }
  var now = new Date().toISOString();
  return JSON.stringify({
    record_id: String(record.id),
    event_time: record.event_time ? new Date(record.event_time).toISOString() : now,
    source: record.source ? String(record.source) : "unknown",
    payload: line,
    ingested_at: now
  });
}
