"""Discord's channel kinds: what each kind of post looks like (payloads), how it is made, edited and removed
(deliverer), and how a post made before a crash is found again (adopt)."""
