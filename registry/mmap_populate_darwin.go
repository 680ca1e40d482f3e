package registry

// mapPopulate: darwin has no MAP_POPULATE; its pages fault in as scanned.
const mapPopulate = 0
