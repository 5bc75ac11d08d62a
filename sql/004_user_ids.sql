-- 004_user_ids: a citizen ID number (GB 11643) on accounts, for real-name
-- registration of staff. Stored like phones: sealed, blind-indexed, masked.
ALTER TABLE users ADD COLUMN id_sealed BLOB;
ALTER TABLE users ADD COLUMN id_bidx TEXT;
ALTER TABLE users ADD COLUMN id_masked TEXT;
CREATE INDEX users_id_bidx ON users (id_bidx);
