"""`sfenv adoption`: is each train's work used in production? (issue 27)"""
