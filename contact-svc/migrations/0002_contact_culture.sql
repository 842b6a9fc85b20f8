-- The contact's culture (reference: EN-US, EN-GB, FR-CA, DE-DE, IT-IT,
-- NL-NL, JA-JP, EN-AU), stored canonical upper-case; '' when not given,
-- which is also what contacts created before this migration hold.
alter table contact add column culture text not null default '';
