import { LightningElement, api, wire } from 'lwc';
import summary from '@salesforce/apex/InvoiceSummaryController.summary';
import TITLE from '@salesforce/label/c.Invoice_Summary_Title';

export default class InvoiceSummary extends LightningElement {
    @api recordId;
    title = TITLE;

    @wire(summary, { invoiceId: '$recordId' })
    invoice;

    get isOverdue() {
        return this.invoice.data && this.invoice.data.daysOverdue > 0;
    }
}
