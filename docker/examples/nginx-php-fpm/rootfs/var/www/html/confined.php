<?php
// Proof of the confinement (services.d/php-fpm/paths): the worker reads the
// application, but not /etc/hostname, which its uid could read.
header('Content-Type: text/plain');
$readable = fn($file) => @file_get_contents($file) !== false ? 'readable' : 'denied';
printf("app=%s hostname=%s\n", $readable(__FILE__), $readable('/etc/hostname'));
