<?php
// Proof of the setup: which uid and gid the PHP worker runs as.
header('Content-Type: text/plain');
printf("uid=%d gid=%d\n", posix_getuid(), posix_getgid());
