-- +goose Up
-- Whether a valid signature's certificate leads to a trusted root, apart from whether the
-- signature is mathematically valid (issue 11). Signatures recorded before were never
-- checked for trust, and say so.
ALTER TABLE signatures ADD COLUMN trust text NOT NULL DEFAULT '';
UPDATE signatures SET trust = 'not checked: доверие к сертификату при записи подписи не проверялось'
    WHERE verified = 'valid';

-- +goose Down
ALTER TABLE signatures DROP COLUMN trust;
