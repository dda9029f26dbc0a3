-- One row per uploaded driver document, deduplicated by event_id (FINAL), without the log-source columns.
-- The photo or scan itself is in the object store at document_url (content-addressed by its sha256).
select
    event_id,
    event_time as uploaded_at,
    driver_id,
    vehicle_id,
    document_type,
    document_url,
    document_sha256,
    document_size as document_size_bytes,
    document_content_type,
    expires_on,
    expires_on is not null and expires_on < toDate(event_time) as is_expired_at_upload,
    flags,
    ingested_at
from {{ source('farebox', 'raw_driver_documents') }} final
