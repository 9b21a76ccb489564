from fakturera.cli import main

main()
