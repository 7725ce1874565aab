// SPDX-License-Identifier: GPL-2.0
/*
 * ofnic: PCI probe/remove, MSI-X and the admin interrupt (link changes and
 * queue errors), module entry points.
 */
#include <linux/module.h>
#include <linux/pci.h>

#include "ofnic.h"

static irqreturn_t ofnic_admin_irq(int irq, void *data)
{
	struct ofnic_priv *priv = data;
	u32 cause = ofnic_rd(priv, OFNIC_REG_INT_CAUSE);

	priv->admin_irqs++;
	ofnic_wr(priv, OFNIC_REG_INT_CAUSE, cause);
	if (cause & OFNIC_INT_LINK)
		ofnic_update_link(priv);
	if (cause & OFNIC_INT_QERR)
		schedule_work(&priv->reset_work);
	/* The vector masked itself when it fired: arm it for the next cause. */
	ofnic_wr(priv, OFNIC_REG_ADMIN_ARM, 1);
	return IRQ_HANDLED;
}

static int ofnic_hw_init(struct pci_dev *pdev, void __iomem *hw, u32 *max_qp)
{
	u32 id = readl(hw + OFNIC_REG_ID);
	u32 ver = readl(hw + OFNIC_REG_VERSION);

	if (id != OFNIC_ID_MAGIC) {
		dev_err(&pdev->dev, "unexpected device ID %#x\n", id);
		return -ENODEV;
	}
	if ((ver >> 16) != (OFNIC_VERSION >> 16)) {
		dev_err(&pdev->dev, "unsupported interface version %#x\n", ver);
		return -ENODEV;
	}
	writel(OFNIC_CTRL_RESET, hw + OFNIC_REG_CTRL);
	*max_qp = readl(hw + OFNIC_REG_MAX_QP);
	if (*max_qp < 1 || *max_qp > OFNIC_MAX_QP) {
		dev_err(&pdev->dev, "device reports %u queue pairs\n", *max_qp);
		return -ENODEV;
	}
	return 0;
}

static int ofnic_probe(struct pci_dev *pdev, const struct pci_device_id *ent)
{
	struct net_device *netdev;
	struct ofnic_priv *priv;
	void __iomem *hw;
	u32 max_qp;
	int err;

	err = pcim_enable_device(pdev);
	if (err)
		return err;
	hw = pcim_iomap_region(pdev, OFNIC_BAR_REGS, OFNIC_DRV_NAME);
	if (IS_ERR(hw))
		return PTR_ERR(hw);
	err = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (err)
		return err;
	err = ofnic_hw_init(pdev, hw, &max_qp);
	if (err)
		return err;
	pci_set_master(pdev);

	netdev = ofnic_netdev_alloc(pdev, hw, max_qp);
	if (!netdev)
		return -ENOMEM;
	priv = netdev_priv(netdev);
	pci_set_drvdata(pdev, priv);

	/* One vector for the admin causes, one per queue pair. */
	err = pci_alloc_irq_vectors(pdev, 1 + max_qp, 1 + max_qp, PCI_IRQ_MSIX);
	if (err < 0) {
		dev_err(&pdev->dev, "cannot get %u MSI-X vectors: %d\n",
			1 + max_qp, err);
		goto err_free_netdev;
	}
	priv->admin_irq = pci_irq_vector(pdev, OFNIC_MSIX_ADMIN);
	snprintf(priv->admin_irq_name, sizeof(priv->admin_irq_name),
		 "ofnic-admin@%s", pci_name(pdev));
	err = request_irq(priv->admin_irq, ofnic_admin_irq, 0,
			  priv->admin_irq_name, priv);
	if (err)
		goto err_free_vectors;
	ofnic_wr(priv, OFNIC_REG_INT_MASK, OFNIC_INT_LINK | OFNIC_INT_QERR);

	netif_carrier_off(netdev);
	err = register_netdev(netdev);
	if (err)
		goto err_free_irq;
	ofnic_debugfs_add(priv);
	netdev_info(netdev, "ofnic %s: MAC %pM, %u queue pairs (%u in use), features %#x\n",
		    pci_name(pdev), netdev->dev_addr, max_qp, priv->num_qp,
		    priv->features);
	return 0;

err_free_irq:
	ofnic_wr(priv, OFNIC_REG_INT_MASK, 0);
	free_irq(priv->admin_irq, priv);
	/* a queue-error cause may have scheduled it */
	cancel_work_sync(&priv->reset_work);
err_free_vectors:
	pci_free_irq_vectors(pdev);
err_free_netdev:
	ofnic_flow_free(priv);
	kfree(priv->qp);
	free_netdev(netdev);
	return err;
}

static void ofnic_remove(struct pci_dev *pdev)
{
	struct ofnic_priv *priv = pci_get_drvdata(pdev);
	struct net_device *netdev = priv->netdev;

	ofnic_debugfs_remove(priv);
	unregister_netdev(netdev);
	ofnic_wr(priv, OFNIC_REG_INT_MASK, 0);
	free_irq(priv->admin_irq, priv);
	cancel_work_sync(&priv->reset_work);
	/* Quiesce the device before its DMA mappings go away. */
	ofnic_wr(priv, OFNIC_REG_CTRL, OFNIC_CTRL_RESET);
	pci_free_irq_vectors(pdev);
	pci_clear_master(pdev);
	ofnic_flow_free(priv);
	kfree(priv->qp);
	free_netdev(netdev);
}

static const struct pci_device_id ofnic_pci_ids[] = {
	{ PCI_DEVICE(OFNIC_PCI_VENDOR_ID, OFNIC_PCI_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, ofnic_pci_ids);

static struct pci_driver ofnic_pci_driver = {
	.name		= OFNIC_DRV_NAME,
	.id_table	= ofnic_pci_ids,
	.probe		= ofnic_probe,
	.remove		= ofnic_remove,
};

static int __init ofnic_init(void)
{
	int err;

	ofnic_debugfs_init();
	err = ofnic_genl_init();
	if (err)
		goto err_debugfs;
	err = pci_register_driver(&ofnic_pci_driver);
	if (err)
		goto err_genl;
	return 0;

err_genl:
	ofnic_genl_exit();
err_debugfs:
	ofnic_debugfs_exit();
	return err;
}

static void __exit ofnic_exit(void)
{
	pci_unregister_driver(&ofnic_pci_driver);
	ofnic_genl_exit();
	ofnic_debugfs_exit();
}

module_init(ofnic_init);
module_exit(ofnic_exit);

MODULE_DESCRIPTION("ofnic virtual offload NIC driver");
MODULE_LICENSE("GPL");
