// placeholder replaced by the native backend work
process.exit(0);
