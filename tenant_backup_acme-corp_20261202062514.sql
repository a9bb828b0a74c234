-- anthias tenant backup
-- manifest: {"format":2,"schemaVersion":11,"createdAt":"2026-12-02T06:25:14.434Z","tenant":{"id":"d1f8409c-5e83-4849-a929-d119c06590cd","subdomain":"acme-corp","name":"Acme Corp"},"tables":[{"name":"tenants","columns":["id","name","subdomain","status","plan_id","max_assets","max_users","max_devices","storage_quota_gb","contact_email","custom_domain","settings","enable_2fa","session_timeout_minutes","password_policy","allowed_ip_ranges","created_at","updated_at","spec_sha256"],"rows":1,"sha256":"7c2345e2a270f24568b1edc3fac8e38262defc4ca7bb781beb142208d50c6a7b"},{"name":"users","columns":["id","email","password_hash","created_at"],"rows":1,"sha256":"f5d45ed2063b0fb0e6bbfe25002b68818b5bfd6b7cd3e23733475baba22e10ca"},{"name":"tenant_migrations","columns":["tenant_id","version","name","checksum","applied_at","duration_ms","faked"],"rows":0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},{"name":"tenant_features","columns":["tenant_id","feature","enabled"],"rows":0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},{"name":"notification_outbox","columns":["tenant_id","id","kind","metric","channel","payload","created_at","sent_at","cleared_at","delivery_id","enqueued_at","attempts","last_attempt_at","last_error","failed_at"],"rows":0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","sequences":["id"]},{"name":"monitoring_configs","columns":["tenant_id","storage_threshold","user_threshold","asset_threshold","device_threshold","channels","updated_at"],"rows":0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},{"name":"memberships","columns":["tenant_id","user_id","role","permissions","status","invitation_token_hash","invitation_expires_at","invited_at","accepted_at"],"rows":1,"sha256":"2219334846e2fbba4866b07b966f271bf14666466eb6f442d8de00d1a2a4904a"},{"name":"devices","columns":["tenant_id","id","name","location","status","last_seen_at","created_at"],"rows":0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},{"name":"assets","columns":["tenant_id","id","name","uri","mimetype","start_date","end_date","duration_seconds","is_enabled","play_order","size_bytes","created_by","created_at"],"rows":0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},{"name":"qr_contents","columns":["tenant_id","id","name","content","asset_id","created_at"],"rows":0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},{"name":"api_keys","columns":["tenant_id","id","name","prefix","key_hash","permissions","created_by","created_at","expires_at","last_used_at","revoked_at"],"rows":0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}],"sha256":"2109f41326fb370b9eea1fa45427d820d525d5fbe1c22465a4d017951784cafd"}                                                                                                                                                                     
SET client_encoding = 'UTF8';
BEGIN;
COPY public."tenants" ("id", "name", "subdomain", "status", "plan_id", "max_assets", "max_users", "max_devices", "storage_quota_gb", "contact_email", "custom_domain", "settings", "enable_2fa", "session_timeout_minutes", "password_policy", "allowed_ip_ranges", "created_at", "updated_at", "spec_sha256") FROM stdin;
d1f8409c-5e83-4849-a929-d119c06590cd	Acme Corp	acme-corp	active	professional	500	50	25	100	\N	\N	{}	f	480	{"minLength": 8, "requireNumbers": true, "requireSymbols": false, "passwordHistory": 0, "requireLowercase": true, "requireUppercase": true}	{}	2026-12-02 06:23:27.713067+00	2026-12-02 06:23:27.713067+00	048cc99fcb25f563fb9986e076dedb920dcb0c7dd122b7bde3aefbb4ee421d24
\.
COPY public."users" ("id", "email", "password_hash", "created_at") FROM stdin;
1c41e31b-1537-4661-ae66-5fbcb40d8752	owner@acme.example.com	\N	2026-12-02 06:23:27.713067+00
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
d1f8409c-5e83-4849-a929-d119c06590cd	1c41e31b-1537-4661-ae66-5fbcb40d8752	owner	{"admin": true}	invited	02cadf4737401fad84b65cbfb356966eff76530590d28e57d583edd2615f514a	2026-12-09 06:23:28.028+00	2026-12-02 06:23:27.713067+00	\N
\.
COPY public."devices" ("tenant_id", "id", "name", "location", "status", "last_seen_at", "created_at") FROM stdin;
\.
COPY public."assets" ("tenant_id", "id", "name", "uri", "mimetype", "start_date", "end_date", "duration_seconds", "is_enabled", "play_order", "size_bytes", "created_by", "created_at") FROM stdin;
\.
COPY public."qr_contents" ("tenant_id", "id", "name", "content", "asset_id", "created_at") FROM stdin;
\.
COPY public."api_keys" ("tenant_id", "id", "name", "prefix", "key_hash", "permissions", "created_by", "created_at", "expires_at", "last_used_at", "revoked_at") FROM stdin;
\.
SELECT pg_catalog.setval(pg_catalog.pg_get_serial_sequence('public."notification_outbox"', 'id'), GREATEST((SELECT pg_catalog.max("id") FROM public."notification_outbox"), pg_catalog.nextval(pg_catalog.pg_get_serial_sequence('public."notification_outbox"', 'id'))));
COMMIT;
