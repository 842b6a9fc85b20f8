-- The reference's contact information beyond e-mail and cell phone:
-- alternativeEmail (at most 50) and phone (at most 100). '' when not given,
-- which is also what contacts created before this migration hold.
alter table contact add column alternative_email text not null default '';
alter table contact add column phone text not null default '';
