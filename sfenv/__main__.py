from sfenv.cli import main

main()
