from innoff_cli.cli import main

main()
