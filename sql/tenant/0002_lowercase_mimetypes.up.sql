-- Mimetypes compare case-insensitively; store them in lowercase.
update assets set mimetype = lower(mimetype) where mimetype <> lower(mimetype);
