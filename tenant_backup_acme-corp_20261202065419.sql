-- anthias tenant backup
-- manifest: {"format":2,"schemaVersion":11,"createdAt":"2026-12-02T06:54:19.136Z","tenant":{"id":"5f3e4fa5-8a2d-432c-946d-538fc2ba3d44","subdomain":"acme-corp","name":"Acme Corp"},"tables":[{"name":"tenants","columns":["id","name","subdomain","status","plan_id","max_assets","max_users","max_devices","storage_quota_gb","contact_email","custom_domain","settings","enable_2fa","session_timeout_minutes","password_policy","allowed_ip_ranges","created_at","updated_at","spec_sha256"],"rows":1,"sha256":"ad7daa5a884ddd1680a0465c3003625c29f52c61ba4308602158a1ddba8579b5"},{"name":"users","columns":["id","email","password_hash","created_at"],"rows":1,"sha256":"7f869e36a12b83154eea975ce4c61f141a3c191706f03d145e4611adda537f7b"},{"name":"tenant_migrations","columns":["tenant_id","version","name","checksum","applied_at","duration_ms","faked"],"rows":0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},{"name":"tenant_features","columns":["tenant_id","feature","enabled"],"rows":0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},{"name":"notification_outbox","columns":["tenant_id","id","kind","metric","channel","payload","created_at","sent_at","cleared_at","delivery_id","enqueued_at","attempts","last_attempt_at","last_error","failed_at"],"rows":0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","sequences":["id"]},{"name":"monitoring_configs","columns":["tenant_id","storage_threshold","user_threshold","asset_threshold","device_threshold","channels","updated_at"],"rows":0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},{"name":"memberships","columns":["tenant_id","user_id","role","permissions","status","invitation_token_hash","invitation_expires_at","invited_at","accepted_at"],"rows":1,"sha256":"78bc3fe04ea209eb8dc05a2bf1aa36ef32623674b3ba3fd28d25d6e54f5a1def"},{"name":"devices","columns":["tenant_id","id","name","location","status","last_seen_at","created_at"],"rows":0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},{"name":"assets","columns":["tenant_id","id","name","uri","mimetype","start_date","end_date","duration_seconds","is_enabled","play_order","size_bytes","created_by","created_at"],"rows":1,"sha256":"d28cc2518f51caca12c3020ebbd60954d17ce3fefc09c76a05e4c8c9052efd53"},{"name":"qr_contents","columns":["tenant_id","id","name","content","asset_id","created_at"],"rows":0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},{"name":"api_keys","columns":["tenant_id","id","name","prefix","key_hash","permissions","created_by","created_at","expires_at","last_used_at","revoked_at"],"rows":0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}],"sha256":"f4fa28293844d9ac575058f463be51cc288d06252b079e9880200e9463e6a82c"}                                                                                                                                                                     
SET client_encoding = 'UTF8';
BEGIN;
COPY public."tenants" ("id", "name", "subdomain", "status", "plan_id", "max_assets", "max_users", "max_devices", "storage_quota_gb", "contact_email", "custom_domain", "settings", "enable_2fa", "session_timeout_minutes", "password_policy", "allowed_ip_ranges", "created_at", "updated_at", "spec_sha256") FROM stdin;
5f3e4fa5-8a2d-432c-946d-538fc2ba3d44	Acme Corp	acme-corp	active	professional	500	50	25	100	\N	\N	{"theme": "default", "locale": "en", "timezone": "UTC"}	f	480	{"minLength": 8, "requireNumbers": true, "requireSymbols": false, "passwordHistory": 0, "requireLowercase": true, "requireUppercase": true}	{}	2026-12-02 06:52:55.746852+00	2026-12-02 06:52:58.715343+00	048cc99fcb25f563fb9986e076dedb920dcb0c7dd122b7bde3aefbb4ee421d24
\.
COPY public."users" ("id", "email", "password_hash", "created_at") FROM stdin;
bef1d5cd-52f1-45a2-9abe-9d970e4479d0	owner@acme.example.com	\N	2026-12-02 06:52:55.746852+00
\.
COPY public."tenant_migrations" ("tenant_id", "version", "name", "checksum", "applied_at", "duration_ms", "faked") FROM stdin;
\.
COPY public."tenant_features" ("tenant_id", "feature", "enabled") FROM stdin;
\.
COPY public."notification_outbox" ("tenant_id", "id", "kind", "metric", "channel", "payload", "created_at", "sent_at", "cleared_at", "delivery_id", "enqueued_at", "attempts", "last_attempt_at", "last_error", "failed_at") FROM stdin;
\.
COPY public."monitoring_configs" ("tenant_id", "storage_threshold", "user_threshold", "asset_threshold", "device_threshold", "channels", "updated_at") FROM stdin;
\.
COPY public."memberships" ("tenant_id", "user_id", "role", "permissions", "status", "invitation_token_hash", "invitation_expires_at", "invited_at", "accepted_at") FROM stdin;
5f3e4fa5-8a2d-432c-946d-538fc2ba3d44	bef1d5cd-52f1-45a2-9abe-9d970e4479d0	owner	{"admin": true}	invited	58c5dc1dd9b725b548554483d11ec37f5c8cfc25a5f2eedb4b23c1af4a0ef7c9	2026-12-09 06:52:56.059+00	2026-12-02 06:52:55.746852+00	\N
\.
COPY public."devices" ("tenant_id", "id", "name", "location", "status", "last_seen_at", "created_at") FROM stdin;
\.
COPY public."assets" ("tenant_id", "id", "name", "uri", "mimetype", "start_date", "end_date", "duration_seconds", "is_enabled", "play_order", "size_bytes", "created_by", "created_at") FROM stdin;
5f3e4fa5-8a2d-432c-946d-538fc2ba3d44	75cabab4-64e1-4bc6-9997-8e54e4228fcd	Welcome to Anthias	welcome-template.html	text/html	\N	\N	10	t	0	0	bef1d5cd-52f1-45a2-9abe-9d970e4479d0	2026-12-02 06:52:58.715343+00
\.
COPY public."qr_contents" ("tenant_id", "id", "name", "content", "asset_id", "created_at") FROM stdin;
\.
COPY public."api_keys" ("tenant_id", "id", "name", "prefix", "key_hash", "permissions", "created_by", "created_at", "expires_at", "last_used_at", "revoked_at") FROM stdin;
\.
SELECT pg_catalog.setval(pg_catalog.pg_get_serial_sequence('public."notification_outbox"', 'id'), GREATEST((SELECT pg_catalog.max("id") FROM public."notification_outbox"), pg_catalog.nextval(pg_catalog.pg_get_serial_sequence('public."notification_outbox"', 'id'))));
COMMIT;
